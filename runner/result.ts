// Expected failures are values, bugs are exceptions: every stage returns a Result and converts
// stray exceptions once, at its boundary.

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });
export const err = <E>(error: E): { ok: false; error: E } => ({ ok: false, error });

export function unreachable(x: never): never {
  throw new Error(`internal error: unhandled case ${JSON.stringify(x)}`);
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
