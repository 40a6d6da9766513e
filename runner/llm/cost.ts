// Token and dollar arithmetic for budgets and `exp plan` estimates. Prices come from the
// configuration's cost table; none are built in, because they change and differ per account.

import type { CostTable, ProviderName } from './types.js';

/** Rough token count (≈ 4 characters per English token); used before a call, never billed. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** USD for a call, or undefined when the model has no price (the offline generator is free). */
export function costUsd(
  table: CostTable,
  provider: ProviderName,
  model: string,
  inputTokens: number,
  outputTokens: number,
): number | undefined {
  if (provider === 'offline') return 0;
  const price = table[model];
  if (price === undefined) return undefined;
  return (inputTokens * price.inputPerMTok + outputTokens * price.outputPerMTok) / 1e6;
}
