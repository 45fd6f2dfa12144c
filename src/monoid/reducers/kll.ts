import { MonoidError, MonoidErrorCode } from '../errors.js';
import { decodeF64, encodeF64 } from '../f64.js';
import type { Json, Monoid } from '../types.js';
import { badState, isRecord } from './common.js';
import { nearestRankIndex } from './quantile-exact.js';

/**
 * KLL quantile sketch (spec §8: k = 200, deterministic compaction schedule).
 *
 * Levels h = 0..H−1 hold items of weight 2^h; level h has capacity max(8, ⌈k·(2/3)^(H−1−h)⌉).
 * Compaction is lazy: only when the total size exceeds the total capacity, and then only the
 * lowest level at capacity (compacting every full level at once measured ~2x faster here but
 * raised the p99 rank error on random input past 1 %, so it was not kept).
 * When the total size exceeds the total capacity, the lowest full level is compacted: sorted (IEEE
 * total order), one item kept back if the count is odd (the smallest), and every other item
 * promoted one level up, starting at offset `flips[h]`, which then toggles 0 ↔ 1. No randomness:
 * the alternating offset makes the rank errors of successive compactions of a level cancel.
 *
 * Guarantees — read before relying on it:
 * - Deterministic: the same inputs in the same order with the same split give a bit-identical
 *   state. `merge(a, b)` concatenates levels then compacts as above; flips combine by xor.
 * - NOT split-invariant: compaction depends on when it happens, so different batch/worker
 *   splits may give different (equally valid) states. What holds for any split: weights sum to
 *   n exactly and the rank error stays within the KLL bound (≈1 % at k = 200; tests check ≤ 1 %
 *   at p50/p95/p99 on sorted, reversed and duplicate-heavy inputs of 10^5–10^6 items).
 * - Until the first compaction (n ≤ k) the sketch is exact and equals the exact mode's answer.
 * NaN inputs are ignored.
 */
export interface KllState {
  n: number;
  levels: number[][];
  flips: number[];
  size: number;
}

export const KLL_DEFAULT_K = 200;
const MIN_WIDTH = 8;
const C = 2 / 3;

export function kllMonoid(q: number, k: number = KLL_DEFAULT_K): Monoid<KllState, number, number | null> {
  if (!Number.isInteger(k) || k < MIN_WIDTH || k > 65536) {
    throw new MonoidError(MonoidErrorCode.BadMetric, `kll: k must be an integer in [8, 65536] (got ${k})`);
  }
  const capCache: number[][] = [];
  const caps = (height: number): number[] => {
    let c = capCache[height];
    if (c === undefined) {
      c = Array.from({ length: height }, (_, h) => Math.max(MIN_WIDTH, Math.ceil(k * C ** (height - 1 - h))));
      capCache[height] = c;
    }
    return c;
  };
  const total = (height: number): number => caps(height).reduce((a, b) => a + b, 0);
  const limits: number[] = [];
  const limit = (height: number): number => (limits[height] ??= total(height));

  const compress = (s: KllState): void => {
    while (s.size > limit(s.levels.length)) {
      const cap = caps(s.levels.length);
      let h = 0;
      while (s.levels[h]!.length < cap[h]!) h++;
      compact(s, h);
    }
  };
  const serialize = (s: KllState): Json => ({
    n: s.n,
    flips: s.flips.slice(),
    levels: s.levels.map((l) => Array.from(Float64Array.from(l).sort(), encodeF64)),
  });

  return {
    kind: 'quantile',
    identity: () => ({ n: 0, levels: [[]], flips: [0], size: 0 }),
    add: (s, x) => {
      if (Number.isNaN(x)) return s;
      s.levels[0]!.push(x);
      s.n++;
      if (++s.size > limit(s.levels.length)) compress(s);
      return s;
    },
    merge: (a, b) => {
      for (let h = 0; h < b.levels.length; h++) {
        if (h >= a.levels.length) {
          a.levels.push([]);
          a.flips.push(0);
        }
        const dst = a.levels[h]!;
        for (const x of b.levels[h]!) dst.push(x);
        a.flips[h] = a.flips[h]! ^ b.flips[h]!;
      }
      a.n += b.n;
      a.size += b.size;
      compress(a);
      return a;
    },
    result: (s) => kllQuantile(s, q),
    serialize,
    deserialize: (v: Json) => {
      if (!isRecord(v) || typeof v.n !== 'number' || !Array.isArray(v.levels) || !Array.isArray(v.flips)) {
        throw badState('kll', v);
      }
      const levels = v.levels.map((l) => {
        if (!Array.isArray(l)) throw badState('kll', v);
        return l.map(decodeF64);
      });
      const flips = v.flips.map((f) => (f === 1 ? 1 : 0));
      if (levels.length === 0 || flips.length !== levels.length) throw badState('kll', v);
      return { n: v.n, levels, flips, size: levels.reduce((a, l) => a + l.length, 0) };
    },
    equals: (a, b) => JSON.stringify(serialize(a)) === JSON.stringify(serialize(b)),
  };
}

let scratch = new Float64Array(1024);

function compact(s: KllState, h: number): void {
  if (h + 1 >= s.levels.length) {
    s.levels.push([]);
    s.flips.push(0);
  }
  const level = s.levels[h]!;
  if (scratch.length < level.length) scratch = new Float64Array(level.length * 2);
  scratch.set(level);
  const sorted = scratch.subarray(0, level.length).sort();
  const keep = sorted.length % 2; // odd count: the smallest stays at this level
  const up = s.levels[h + 1]!;
  const offset = s.flips[h]!;
  for (let i = keep + offset; i < sorted.length; i += 2) up.push(sorted[i]!);
  s.flips[h] = offset ^ 1;
  s.levels[h] = keep === 1 ? [sorted[0]!] : [];
  s.size -= (sorted.length - keep) / 2;
}

/** Item at nearest rank round(q·(n−1)) of the weighted sketch (weights 2^h sum to n). */
export function kllQuantile(s: KllState, q: number): number | null {
  if (s.n === 0) return null;
  const items: Array<[number, number]> = [];
  s.levels.forEach((l, h) => {
    for (const x of l) items.push([x, 2 ** h]);
  });
  items.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : negZeroFirst(a[0]) - negZeroFirst(b[0])));
  const r = nearestRankIndex(q, s.n);
  let cum = 0;
  for (const [x, w] of items) {
    cum += w;
    if (cum > r) return x;
  }
  return items[items.length - 1]![0];
}

function negZeroFirst(x: number): number {
  return Object.is(x, -0) ? 0 : 1;
}
