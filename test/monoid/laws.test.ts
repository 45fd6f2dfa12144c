import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  avgMonoid,
  countMonoid,
  exactDistinctMonoid,
  exactQuantileMonoid,
  hllMonoid,
  kllMonoid,
  maxMonoid,
  minMonoid,
  sumMonoid,
  type TopkInput,
  topkMonoid,
} from '../../src/monoid/index.js';
import type { Monoid } from '../../src/monoid/types.js';

// biome-ignore lint/suspicious/noExplicitAny: the suite is generic over reducer state types
type M<I> = Monoid<any, I, unknown>;

interface Case<I> {
  name: string;
  make: () => M<I>;
  input: fc.Arbitrary<I>;
}

/** Decimal-looking values: where naive f64 folds visibly lose associativity (0.1 + 0.2 …). */
const decimals = fc.oneof(
  fc.integer({ min: -1e6, max: 1e6 }).map((i) => i / 1000),
  fc.integer({ min: -1e9, max: 1e9 }).map((i) => i * 1.1e-7),
);
/** Doubles including NaN, ±Infinity, ±0, subnormals, extremes, and integers (the fast path). */
const anyDouble = fc.oneof(
  { arbitrary: decimals, weight: 4 },
  fc.double(),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  fc.constantFrom(
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    2 ** 53,
    -(2 ** 53) + 1,
    0.1,
    1e308,
    -0,
  ),
);
const finiteDouble = fc.oneof(
  { arbitrary: decimals, weight: 4 },
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.double({ min: -1e3, max: 1e3, noNaN: true }),
);
const key = fc.oneof(fc.constantFrom('a', 'b', 'c', 'd', 'é', ''), fc.string({ maxLength: 6 }));
const topkInput: fc.Arbitrary<TopkInput> = fc.oneof(key, fc.tuple(key, fc.integer({ min: -5, max: 1000 })));

const cases: Case<unknown>[] = [
  { name: 'count', make: countMonoid, input: fc.anything() },
  { name: 'sum', make: sumMonoid, input: anyDouble },
  { name: 'sum (finite only)', make: sumMonoid, input: finiteDouble },
  { name: 'avg', make: avgMonoid, input: anyDouble },
  { name: 'min', make: minMonoid, input: anyDouble },
  { name: 'max', make: maxMonoid, input: anyDouble },
  { name: 'quantile exact', make: () => exactQuantileMonoid(0.9), input: anyDouble },
  { name: 'topk', make: () => topkMonoid(3), input: topkInput },
  { name: 'distinct exact', make: exactDistinctMonoid, input: key },
  { name: 'distinct hll', make: hllMonoid, input: key },
] as Case<unknown>[];

function fold<S, I>(m: Monoid<S, I, unknown>, xs: readonly I[]): S {
  let s = m.identity();
  for (const x of xs) s = m.add(s, x);
  return s;
}

const ser = <S, I>(m: Monoid<S, I, unknown>, s: S): string => JSON.stringify(m.serialize(s));

/** A sequence and an in-order partition of it into chunks (cut points). */
function withSplit<I>(input: fc.Arbitrary<I>) {
  return fc
    .tuple(fc.array(input, { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 6 }))
    .map(([xs, cuts]) => {
      const pts = [...new Set(cuts.map((c) => (xs.length ? c % (xs.length + 1) : 0)))].sort((a, b) => a - b);
      const chunks: I[][] = [];
      let prev = 0;
      for (const p of [...pts, xs.length]) {
        chunks.push(xs.slice(prev, p));
        prev = p;
      }
      return { xs, chunks };
    });
}

describe.each(cases)('monoid laws: $name', ({ make, input }) => {
  const m = make();
  const seq = fc.array(input, { maxLength: 40 });

  it('identity on both sides', () => {
    fc.assert(
      fc.property(seq, (xs) => {
        const whole = ser(m, fold(m, xs));
        expect(ser(m, m.merge(m.identity(), fold(m, xs)))).toBe(whole);
        expect(ser(m, m.merge(fold(m, xs), m.identity()))).toBe(whole);
        expect(ser(m, fold(m, []))).toBe(ser(m, m.identity()));
      }),
    );
  });

  it('associativity', () => {
    fc.assert(
      fc.property(seq, seq, seq, (a, b, c) => {
        const left = m.merge(m.merge(fold(m, a), fold(m, b)), fold(m, c));
        const right = m.merge(fold(m, a), m.merge(fold(m, b), fold(m, c)));
        expect(ser(m, left)).toBe(ser(m, right));
        expect(m.equals(left, right)).toBe(true);
      }),
    );
  });

  it('split vs whole: merging folds of any in-order partition (left fold and tree) = fold of the whole', () => {
    fc.assert(
      fc.property(withSplit(input), ({ xs, chunks }) => {
        const whole = ser(m, fold(m, xs));
        const left = chunks.map((c) => fold(m, c)).reduce((acc, s) => m.merge(acc, s), m.identity());
        expect(ser(m, left)).toBe(whole);
        // Tree merge, as workers would: pairwise rounds.
        let level = chunks.map((c) => fold(m, c));
        while (level.length > 1) {
          const next: unknown[] = [];
          for (let i = 0; i < level.length; i += 2)
            next.push(i + 1 < level.length ? m.merge(level[i], level[i + 1]) : level[i]);
          level = next;
        }
        expect(ser(m, level[0])).toBe(whole);
      }),
    );
  });

  it('commutativity (workers may report in any order)', () => {
    fc.assert(
      fc.property(seq, seq, (a, b) => {
        expect(ser(m, m.merge(fold(m, a), fold(m, b)))).toBe(ser(m, m.merge(fold(m, b), fold(m, a))));
      }),
    );
  });

  it('serialize round trip (state, JSON text and result)', () => {
    fc.assert(
      fc.property(seq, (xs) => {
        const s = fold(m, xs);
        const text = JSON.stringify(m.serialize(s));
        const back = m.deserialize(JSON.parse(text));
        expect(JSON.stringify(m.serialize(back))).toBe(text);
        expect(m.equals(s, back)).toBe(true);
        expect(m.result(back)).toStrictEqual(m.result(s));
      }),
    );
  });
});

describe('the split-vs-whole property has teeth', () => {
  it('fails for a naive f64 sum (state = running double) under the same generators', () => {
    const naive: Monoid<number, number, number> = {
      kind: 'naive-sum',
      identity: () => 0,
      add: (s, x) => s + x,
      merge: (a, b) => a + b,
      result: (s) => s,
      serialize: (s) => s,
      deserialize: (v) => v as number,
      equals: (a, b) => Object.is(a, b),
    };
    const run = fc.check(
      fc.property(withSplit(finiteDouble), ({ xs, chunks }) => {
        const merged = chunks
          .map((c) => fold(naive, c))
          .reduce((acc, s) => naive.merge(acc, s), naive.identity());
        return Object.is(merged, fold(naive, xs));
      }),
      { seed: 42 },
    );
    expect(run.failed).toBe(true);
  });
});

describe('monoid laws: quantile kll (exact while no compaction happens)', () => {
  const m = kllMonoid(0.5);
  const exact = exactQuantileMonoid(0.5);
  const small = fc.array(anyDouble, { maxLength: 60 });

  it('identity, associativity, split vs whole and round trip for inputs below capacity', () => {
    fc.assert(
      fc.property(withSplit(anyDouble), ({ xs, chunks }) => {
        const whole = ser(m, fold(m, xs));
        expect(ser(m, m.merge(m.identity(), fold(m, xs)))).toBe(whole);
        expect(ser(m, m.merge(fold(m, xs), m.identity()))).toBe(whole);
        const merged = chunks.map((c) => fold(m, c)).reduce((acc, s) => m.merge(acc, s), m.identity());
        expect(ser(m, merged)).toBe(whole);
        const back = m.deserialize(JSON.parse(whole));
        expect(ser(m, back)).toBe(whole);
        // Below k the sketch is exact: same answer as the exact mode.
        expect(m.result(fold(m, xs))).toStrictEqual(exact.result(fold(exact, xs)));
      }),
    );
    fc.assert(
      fc.property(small, small, small, (a, b, c) => {
        const left = m.merge(m.merge(fold(m, a), fold(m, b)), fold(m, c));
        const right = m.merge(fold(m, a), m.merge(fold(m, b), fold(m, c)));
        expect(ser(m, left)).toBe(ser(m, right));
      }),
    );
  });

  it('is deterministic for a fixed split past compaction, and weights always sum to n', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true }), { minLength: 500, maxLength: 3000 }),
        fc.nat(),
        (xs, cut) => {
          const c = cut % xs.length;
          const run = () => m.merge(fold(m, xs.slice(0, c)), fold(m, xs.slice(c)));
          expect(ser(m, run())).toBe(ser(m, run()));
          const s = run();
          const weight = s.levels.reduce((acc: number, l: number[], h: number) => acc + l.length * 2 ** h, 0);
          expect(weight).toBe(xs.length);
          expect(s.n).toBe(xs.length);
          const back = m.deserialize(m.serialize(s));
          expect(ser(m, back)).toBe(ser(m, s));
        },
      ),
      { numRuns: 30 },
    );
  });
});
