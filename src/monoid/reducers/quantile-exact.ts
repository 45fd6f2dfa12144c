import { decodeF64, encodeF64, sortedF64 } from '../f64.js';
import type { Json, Monoid } from '../types.js';
import { badState } from './common.js';

/** CEPtra's nearest rank on n sorted samples: index round(q·(n−1)). */
export function nearestRankIndex(q: number, n: number): number {
  return Math.round(q * (n - 1));
}

export interface ExactSamples {
  xs: number[];
}

/**
 * Exact quantile (CEPtra code's mode, contract §7): keeps every sample, answers the sample at
 * nearest rank round(q·(n−1)) of the sorted samples. NaN inputs are ignored (they have no rank).
 * The state is the multiset, so the serialized form (samples in IEEE total order) is the same for
 * any order and split. Memory grows with the pane's sample count.
 */
export function exactQuantileMonoid(q: number): Monoid<ExactSamples, number, number | null> {
  const serialize = (s: ExactSamples): Json => Array.from(sortedF64(s.xs), encodeF64);
  return {
    kind: 'quantile',
    identity: () => ({ xs: [] }),
    add: (s, x) => {
      if (!Number.isNaN(x)) s.xs.push(x);
      return s;
    },
    merge: (a, b) => {
      for (const x of b.xs) a.xs.push(x);
      return a;
    },
    result: (s) => quantileOfSorted(sortedF64(s.xs), q),
    serialize,
    deserialize: (v: Json) => {
      if (!Array.isArray(v)) throw badState('quantile', v);
      return { xs: v.map(decodeF64) };
    },
    equals: (a, b) => JSON.stringify(serialize(a)) === JSON.stringify(serialize(b)),
  };
}

export function quantileOfSorted(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[nearestRankIndex(q, sorted.length)]!;
}
