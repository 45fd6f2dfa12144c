import { ExactSum } from '../exact-sum.js';
import type { Json, Monoid } from '../types.js';
import { badState, isRecord } from './common.js';

/**
 * f64 sum over an exact accumulator (`exact-sum.ts`): the result is the exact sum rounded once,
 * so it is bit-identical for any order and any split. It can differ from a naive left-to-right
 * `+` fold in the last bits — it is the more accurate of the two.
 */
export function sumMonoid(): Monoid<ExactSum, number, number> {
  return {
    kind: 'sum',
    identity: () => new ExactSum(),
    add: (s, x) => s.add(x),
    merge: (a, b) => a.merge(b),
    result: (s) => s.result(),
    serialize: (s) => s.serialize(),
    deserialize: (v: Json) => {
      if (typeof v !== 'string') throw badState('sum', v);
      return ExactSum.deserialize(v);
    },
    equals: (a, b) => a.serialize() === b.serialize(),
  };
}

export interface AvgState {
  sum: ExactSum;
  n: number;
}

/**
 * (exact sum, count) → exact sum rounded to f64, divided by count in f64 (contract §7: avg =
 * (sum f64, count u64)). Both parts are split-invariant, so the quotient is too. Empty → null.
 */
export function avgMonoid(): Monoid<AvgState, number, number | null> {
  return {
    kind: 'avg',
    identity: () => ({ sum: new ExactSum(), n: 0 }),
    add: (s, x) => {
      s.sum.add(x);
      s.n++;
      return s;
    },
    merge: (a, b) => {
      a.sum.merge(b.sum);
      a.n += b.n;
      return a;
    },
    result: (s) => (s.n === 0 ? null : s.sum.result() / s.n),
    serialize: (s) => ({ sum: s.sum.serialize(), n: s.n }),
    deserialize: (v: Json) => {
      if (
        !isRecord(v) ||
        typeof v.sum !== 'string' ||
        typeof v.n !== 'number' ||
        !Number.isSafeInteger(v.n)
      ) {
        throw badState('avg', v);
      }
      return { sum: ExactSum.deserialize(v.sum), n: v.n };
    },
    equals: (a, b) => a.n === b.n && a.sum.serialize() === b.sum.serialize(),
  };
}
