import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileJsonPath, extractPath, MonoidError, topkMonoid } from '../../src/monoid/index.js';

describe('JSON path', () => {
  const doc = { a: { b: 3, 'odd key': [10, { c: 'x' }] }, list: [{ v: 1 }, { v: 2 }], n: null };

  it('compiles and extracts $.a.b, $.a[0], quoted keys', () => {
    expect(compileJsonPath('$.a.b')).toEqual(['a', 'b']);
    expect(compileJsonPath("$.a['odd key'][1].c")).toEqual(['a', 'odd key', 1, 'c']);
    expect(extractPath(doc, compileJsonPath('$.a.b'))).toBe(3);
    expect(extractPath(doc, compileJsonPath('$.list[1].v'))).toBe(2);
    expect(extractPath(doc, compileJsonPath('$["a"]["odd key"][0]'))).toBe(10);
    expect(extractPath(doc, compileJsonPath('$'))).toBe(doc);
  });

  it('answers undefined for missing steps, wrong container types and inherited properties', () => {
    for (const p of [
      '$.zz',
      '$.a.b.c',
      '$.list.v',
      '$.a[0]',
      '$.list[5]',
      '$.n.x',
      '$.a.toString',
      '$.list.length',
    ]) {
      expect(extractPath(doc, compileJsonPath(p)), p).toBeUndefined();
    }
    expect(extractPath(42, compileJsonPath('$.a'))).toBeUndefined();
  });

  it('rejects malformed paths with the offset', () => {
    expect(() => compileJsonPath('a.b')).toThrow(MonoidError);
    expect(() => compileJsonPath('$.a..b')).toThrow(/offset 3/);
    expect(() => compileJsonPath('$[x]')).toThrow(/offset 1/);
  });
});

describe('topk', () => {
  it('orders by value desc then key asc, and keeps exactly k', () => {
    const m = topkMonoid(3);
    let s = m.identity();
    for (const k of ['b', 'a', 'c', 'd', 'b', 'a', 'c', 'e', 'e']) s = m.add(s, k);
    // a, b, c, e all have 2; d has 1: ties broken by key.
    expect(m.result(s)).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 2 },
      { key: 'c', value: 2 },
    ]);
    s = m.add(s, ['e', 5]);
    expect(m.result(s)[0]).toEqual({ key: 'e', value: 7 });
  });

  it('result equals the top k of a brute-force count, for any input', () => {
    const m = topkMonoid(5);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'Z', 'é'), { maxLength: 100 }),
        (keys) => {
          let s = m.identity();
          for (const k of keys) s = m.add(s, k);
          const counts = new Map<string, number>();
          for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
          const expected = [...counts]
            .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
            .slice(0, 5)
            .map(([key, value]) => ({ key, value }));
          expect(m.result(s)).toEqual(expected);
        },
      ),
    );
  });

  it('rejects k outside 1..100 and non-integer weights', () => {
    expect(() => topkMonoid(101)).toThrow(/k must be an integer in \[1, 100\]/);
    expect(() => topkMonoid(0)).toThrow(MonoidError);
    const m = topkMonoid(1);
    expect(() => m.add(m.identity(), ['a', 0.5])).toThrow(/safe integer/);
  });
});
