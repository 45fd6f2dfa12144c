import { decodeF64, encodeF64 } from '../f64.js';
import type { Json, Monoid } from '../types.js';

/**
 * min / max with IEEE `Math.min` / `Math.max` semantics: NaN absorbs, -0 < +0. Both are exactly
 * associative and commutative. The identity (no input yet) is `null`, and so is an empty result.
 */
export function minMonoid(): Monoid<number | null, number, number | null> {
  return extremum('min', Math.min);
}

export function maxMonoid(): Monoid<number | null, number, number | null> {
  return extremum('max', Math.max);
}

function extremum(
  kind: string,
  pick: (a: number, b: number) => number,
): Monoid<number | null, number, number | null> {
  const merge = (a: number | null, b: number | null): number | null =>
    a === null ? b : b === null ? a : pick(a, b);
  const serialize = (s: number | null): Json => (s === null ? null : encodeF64(s));
  return {
    kind,
    identity: () => null,
    add: (s, x) => (s === null ? x : pick(s, x)),
    merge,
    result: (s) => s,
    serialize,
    deserialize: (v: Json) => (v === null ? null : decodeF64(v)),
    equals: (a, b) => serialize(a) === serialize(b),
  };
}
