import { describe, expect, it } from 'vitest';
import { hllMonoid, kllMonoid } from '../../src/monoid/index.js';

/** Distance (as a fraction of n) between the target rank and the rank range [lo, hi) of v. */
function rankError(sorted: Float64Array, v: number, q: number): number {
  const n = sorted.length;
  const bound = (pred: (x: number) => boolean): number => {
    let a = 0;
    let b = n;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (pred(sorted[mid]!)) a = mid + 1;
      else b = mid;
    }
    return a;
  };
  const lo = bound((x) => x < v);
  const hi = bound((x) => x <= v);
  const target = Math.round(q * (n - 1));
  if (target < lo) return (lo - target) / n;
  if (target >= hi) return (target - hi + 1) / n;
  return 0;
}

describe('KLL (k = 200): rank error ≤ 1 % at p50/p95/p99 on adversarial orders', () => {
  const N = 200_000;
  const orders: Record<string, (i: number) => number> = {
    sorted: (i) => i,
    reversed: (i) => N - i,
    'many duplicates (10 values)': (i) => i % 10,
    'long runs of duplicates': (i) => Math.floor(i / 1000),
    zigzag: (i) => (i % 2 ? i : N - i),
    'pseudo-random': (i) => ((i * 2654435761) % 4294967296) / 4294967296,
  };
  for (const [name, gen] of Object.entries(orders)) {
    it(name, () => {
      const data = Array.from({ length: N }, (_, i) => gen(i));
      const sorted = Float64Array.from(data).sort();
      for (const q of [0.5, 0.95, 0.99]) {
        const m = kllMonoid(q);
        // Whole fold, and a 5-way "worker" split merged: both within the bound.
        let whole = m.identity();
        for (const x of data) whole = m.add(whole, x);
        let merged = m.identity();
        for (let w = 0; w < 5; w++) {
          let part = m.identity();
          for (let i = (w * N) / 5; i < ((w + 1) * N) / 5; i++) part = m.add(part, data[i]!);
          merged = m.merge(merged, part);
        }
        expect(rankError(sorted, m.result(whole)!, q)).toBeLessThanOrEqual(0.01);
        expect(rankError(sorted, m.result(merged)!, q)).toBeLessThanOrEqual(0.01);
        expect(whole.size).toBeLessThan(1000);
      }
    });
  }
});

describe('HyperLogLog (p = 14): relative error', () => {
  const m = hllMonoid();
  const estimate = (n: number, prefix: string): number => {
    let s = m.identity();
    for (let i = 0; i < n; i++) s = m.add(s, prefix + i);
    return m.result(s);
  };

  it('≤ 1.6 % at 10^3, 10^4, 10^5 and 10^6 distinct values', () => {
    for (const n of [1_000, 10_000, 100_000, 1_000_000]) {
      const e = estimate(n, 'user-');
      expect(Math.abs(e - n) / n, `n=${n} estimate=${e}`).toBeLessThanOrEqual(0.016);
    }
  });

  it('RMS error over 8 key families at 2·10^4 is near the 0.81 % standard error (≤ 1.2 %)', () => {
    const n = 20_000;
    let sq = 0;
    const families = ['k', 'tenant/', 'x:', 'id=', 'session-', '', 'ü-', 'order#'];
    for (const f of families) sq += ((estimate(n, f) - n) / n) ** 2;
    expect(Math.sqrt(sq / families.length)).toBeLessThanOrEqual(0.012);
  });

  it('is near-exact when tiny and ignores duplicates', () => {
    let s = m.identity();
    for (let r = 0; r < 5; r++) for (let i = 0; i < 100; i++) s = m.add(s, `dup-${i}`);
    expect(Math.abs(m.result(s) - 100)).toBeLessThanOrEqual(2);
    const once = m.identity();
    m.add(once, 'x');
    expect(m.result(once)).toBe(1);
    expect(m.result(m.identity())).toBe(0);
  });

  it('merge of disjoint halves estimates the union', () => {
    let a = m.identity();
    let b = m.identity();
    for (let i = 0; i < 30_000; i++) a = m.add(a, `a${i}`);
    for (let i = 0; i < 30_000; i++) b = m.add(b, `b${i}`);
    const u = m.result(m.merge(a, b));
    expect(Math.abs(u - 60_000) / 60_000).toBeLessThanOrEqual(0.016);
    // Dense serialization round-trips.
    const text = JSON.stringify(m.serialize(a));
    expect(text.length).toBeGreaterThan(16_384);
    expect(JSON.stringify(m.serialize(m.deserialize(JSON.parse(text))))).toBe(text);
  });
});
