// The built-in step kinds of the generative-retrieval pipeline.

import type { StepKind } from '../plan/step.js';

export function builtinKinds(): StepKind[] {
  return [];
}
