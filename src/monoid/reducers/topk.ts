import { MonoidError, MonoidErrorCode } from '../errors.js';
import type { Json, Monoid } from '../types.js';
import { badState } from './common.js';

/** An input: a key (weight 1) or a key with a safe-integer weight. */
export type TopkInput = string | readonly [key: string, weight: number];

export interface TopkEntry {
  key: string;
  value: number;
}

export const TOPK_MAX_K = 100;

/** Order of the result: value descending, then key ascending (UTF-16 code unit order, JS `<`). */
export function compareTopk(a: TopkEntry, b: TopkEntry): number {
  if (a.value !== b.value) return b.value - a.value;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * topk over a per-key sum of integer weights (a count when every weight is 1).
 * State: EXACT — the full per-key map for the pane, not a bounded sketch; memory is one entry per
 * distinct key in the pane. Exact integer sums make merge associative and commutative, so the
 * state (serialized as [key, weight] pairs sorted by key) is the same for any order and split,
 * and the result — the first k entries in `compareTopk` order — is well defined even on ties.
 * Weights must be safe integers (fractional weights would make the per-key sums order-dependent);
 * per-key totals must stay below 2^53.
 */
export function topkMonoid(k: number): Monoid<Map<string, number>, TopkInput, TopkEntry[]> {
  if (!Number.isInteger(k) || k < 1 || k > TOPK_MAX_K) {
    throw new MonoidError(
      MonoidErrorCode.BadMetric,
      `topk: k must be an integer in [1, ${TOPK_MAX_K}] (got ${k})`,
    );
  }
  const serialize = (s: Map<string, number>): Json => {
    const keys = Array.from(s.keys()).sort();
    return keys.map((key) => [key, s.get(key)!]);
  };
  return {
    kind: 'topk',
    identity: () => new Map(),
    add: (s, x) => {
      if (typeof x === 'string') {
        s.set(x, (s.get(x) ?? 0) + 1);
        return s;
      }
      const [key, w] = x;
      if (!Number.isSafeInteger(w)) {
        throw new MonoidError(
          MonoidErrorCode.BadInput,
          `topk: weight for key ${JSON.stringify(key)} must be a safe integer (got ${w})`,
        );
      }
      s.set(key, (s.get(key) ?? 0) + w);
      return s;
    },
    merge: (a, b) => {
      for (const [key, w] of b) a.set(key, (a.get(key) ?? 0) + w);
      return a;
    },
    result: (s) => {
      const all: TopkEntry[] = [];
      for (const [key, value] of s) all.push({ key, value });
      return all.sort(compareTopk).slice(0, k);
    },
    serialize,
    deserialize: (v: Json) => {
      if (!Array.isArray(v)) throw badState('topk', v);
      const m = new Map<string, number>();
      for (const e of v) {
        if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number')
          throw badState('topk', v);
        m.set(e[0], e[1]);
      }
      return m;
    },
    equals: (a, b) => JSON.stringify(serialize(a)) === JSON.stringify(serialize(b)),
  };
}
