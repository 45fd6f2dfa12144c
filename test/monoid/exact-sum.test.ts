import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum, sumMonoid } from '../../src/monoid/index.js';

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Exact value of a finite double as an integer multiple of 2^-1074 (independent of the code under test). */
function scaledOf(x: number): bigint {
  f64[0] = x;
  const bits = u64[0]!;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & 0xfffffffffffffn;
  const mant = exp === 0 ? frac : frac | (1n << 52n);
  const v = mant << BigInt(exp === 0 ? 0 : exp - 1);
  return bits >> 63n ? -v : v;
}

function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = x > 0 ? u64[0]! + 1n : u64[0]! - 1n;
  return f64[0]!;
}

function nextDown(x: number): number {
  return -nextUp(-x);
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** Checks that r is the round-to-nearest-even of the exact value n·2^-1074. */
function expectCorrectlyRounded(n: bigint, r: number): void {
  if (!Number.isFinite(r)) {
    // Overflow: the exact value must be at least MAX + half an ulp of MAX.
    const limit =
      scaledOf(Number.MAX_VALUE) + (scaledOf(Number.MAX_VALUE) - scaledOf(nextDown(Number.MAX_VALUE))) / 2n;
    expect(r > 0 ? n >= limit : -n >= limit).toBe(true);
    return;
  }
  const d = abs(n - scaledOf(r));
  for (const nb of [nextUp(r), nextDown(r)]) {
    if (!Number.isFinite(nb)) continue;
    const dn = abs(n - scaledOf(nb));
    expect(d <= dn).toBe(true);
    if (d === dn) {
      // Tie: r must have an even mantissa.
      f64[0] = r;
      expect(u64[0]! & 1n).toBe(0n);
    }
  }
}

const doubles = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1e-300, max: 1e-300, noNaN: true }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map((i) => i * 2 ** 40),
  fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 1, -1, 0.1, 2 ** 53, 2 ** -1022),
);

const sumOf = (xs: readonly number[]): ExactSum => xs.reduce((s, x) => s.add(x), new ExactSum());

describe('ExactSum', () => {
  it('two operands: equals IEEE a + b (which is itself correctly rounded)', () => {
    fc.assert(
      fc.property(doubles, doubles, (a, b) => {
        const r = sumOf([a, b]).result();
        expect(r === a + b || (Number.isNaN(r) && Number.isNaN(a + b))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('any number of operands: the result is the exact sum rounded once (checked with BigInt)', () => {
    fc.assert(
      fc.property(fc.array(doubles, { maxLength: 50 }), (xs) => {
        const exact = xs.reduce((acc, x) => acc + scaledOf(x), 0n);
        expectCorrectlyRounded(exact, sumOf(xs).result());
      }),
      { numRuns: 1000 },
    );
  });

  it('cancellation is exact: a + b − a = b even across 600 orders of magnitude', () => {
    fc.assert(
      fc.property(doubles, doubles, (a, b) => {
        expect(sumOf([a, b, -a]).result()).toBe(b === 0 ? 0 : b);
      }),
    );
    expect(sumOf([1e308, 1e308, -1e308, -1e308, 1e-300]).result()).toBe(1e-300);
    // Expected values from Python's math.fsum (correctly rounded).
    expect(sumOf([0.1, 0.2, -0.3]).result()).toBe(2.7755575615628914e-17);
    expect(sumOf(Array(10).fill(0.1)).result()).toBe(1.0);
    expect(sumOf([1e16, 1.0, -1e16, 3.5, 1e-20]).result()).toBe(4.5);
  });

  it('splits: merge of folds of any partition is bit-identical to the whole fold', () => {
    fc.assert(
      fc.property(fc.array(doubles, { maxLength: 80 }), fc.array(fc.nat(), { maxLength: 8 }), (xs, cuts) => {
        const pts = [...new Set(cuts.map((c) => c % (xs.length + 1))), xs.length].sort((a, b) => a - b);
        const parts: ExactSum[] = [];
        let prev = 0;
        for (const p of pts) {
          parts.push(sumOf(xs.slice(prev, p)));
          prev = p;
        }
        // Merge right-to-left, the opposite association of the whole fold.
        const merged = parts.reduceRight((acc, s) => s.merge(acc), new ExactSum());
        const whole = sumOf(xs);
        expect(merged.serialize()).toBe(whole.serialize());
        expect(Object.is(merged.result(), whole.result())).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('survives more than 2^20 additions between carries (bins stay exact)', () => {
    const s = new ExactSum();
    const n = 1_100_000;
    for (let i = 0; i < n; i++) s.add(0.75 - 2 ** -40); // 0.75 - tiny: lands in 2 bins near their top
    const expected = BigInt(n) * scaledOf(0.75 - 2 ** -40);
    expect(s.scaled()).toBe(expected);
    expectCorrectlyRounded(expected, s.result());
  });

  it('specials: NaN absorbs, +Inf with -Inf gives NaN, infinities survive finite inputs', () => {
    expect(sumOf([1, Number.POSITIVE_INFINITY, -5]).result()).toBe(Number.POSITIVE_INFINITY);
    expect(sumOf([Number.NEGATIVE_INFINITY, 1e308]).result()).toBe(Number.NEGATIVE_INFINITY);
    expect(sumOf([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]).result()).toBeNaN();
    expect(sumOf([1, Number.NaN]).result()).toBeNaN();
    expect(
      sumOf([Number.POSITIVE_INFINITY])
        .merge(sumOf([Number.NEGATIVE_INFINITY]))
        .serialize(),
    ).toBe('NaN');
    expect(Object.is(sumOf([-0, -0]).result(), 0)).toBe(true);
    expect(sumOf([]).serialize()).toBe('0');
  });

  it('serializes canonically and compactly', () => {
    expect(sumOf([12345]).serialize()).toBe('3039p0');
    expect(sumOf([0.5]).serialize()).toBe('1p-1');
    expect(sumOf([-3]).serialize()).toBe('-3p0');
    expect(sumOf([2 ** 60, 2 ** 60]).serialize()).toBe('1p61');
    // Same exact value through the integer fast path and through the bins.
    expect(sumOf([3, 4]).serialize()).toBe(sumOf([3.5, 3.5]).serialize());
    expect(() => ExactSum.deserialize('zz')).toThrow(/exact sum/);
    const m = sumMonoid();
    expect(m.result(m.deserialize('1p-1074'))).toBe(Number.MIN_VALUE);
  });
});
