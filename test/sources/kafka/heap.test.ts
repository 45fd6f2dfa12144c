/** The merge's binary heap: pops come out in comparator order, whatever the pushes and pops. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { MinHeap } from '../../../src/sources/kafka/heap.js';
import { type Held, less } from '../../../src/sources/kafka/merge-state.js';

it('property: interleaved pushes and pops always pop the least element', () => {
  fc.assert(
    fc.property(
      fc.array(fc.option(fc.integer({ min: -50, max: 50 }), { freq: 3 }), { maxLength: 400 }),
      (ops) => {
        const heap = new MinHeap<number>((a, b) => a < b);
        const model: number[] = [];
        for (const op of ops) {
          if (op === null) {
            model.sort((a, b) => a - b);
            expect(heap.pop()).toBe(model.shift());
          } else {
            heap.push(op);
            model.push(op);
          }
          expect(heap.size).toBe(model.length);
        }
        model.sort((a, b) => a - b);
        const rest: number[] = [];
        for (let v = heap.pop(); v !== undefined; v = heap.pop()) rest.push(v);
        expect(rest).toEqual(model);
      },
    ),
    { numRuns: 300 },
  );
});

it('property: the merge order uses the double key only where it is exact', () => {
  // Nanosecond times near 2^61: many distinct BigInts share one double; ties fall back to BigInt.
  const base = 1_754_006_400_000_000_000n;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 5000n }), fc.constantFrom('a', 'b', 'c')), {
        maxLength: 200,
      }),
      (xs) => {
        const heap = new MinHeap<Held>(less);
        const held = xs.map(([d, id], offset) => {
          const tsNs = base + d;
          return {
            tsKey: Number(tsNs),
            tsNs,
            eventId: id,
            tp: 0,
            offset,
            maxBefore: null,
            released: false,
          } as Held;
        });
        for (const h of held) heap.push(h);
        const out: Held[] = [];
        for (let h = heap.pop(); h !== undefined; h = heap.pop()) out.push(h);
        const want = [...held].sort((a, b) =>
          a.tsNs !== b.tsNs
            ? a.tsNs < b.tsNs
              ? -1
              : 1
            : a.eventId !== b.eventId
              ? a.eventId < b.eventId
                ? -1
                : 1
              : a.offset - b.offset,
        );
        expect(out.map((h) => h.offset)).toEqual(want.map((h) => h.offset));
      },
    ),
    { numRuns: 300 },
  );
});
