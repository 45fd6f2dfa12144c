/** The pure k-way merge of the Kafka source: order, disorder, window edges, tokens and restarts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type KafkaBatch, Merger } from '../../../src/sources/kafka/merger.js';
import type { OnDisorder } from '../../../src/sources/kafka/options.js';
import { decodeToken, type PartitionStart, restartOf } from '../../../src/sources/kafka/token.js';
import type { SourcePosition } from '../../../src/sources/source.js';
import {
  classify,
  expected,
  freshStarts,
  idOf,
  type SimData,
  type SimRecord,
  simulate,
  toRec,
} from './merger-sim.js';

const W = { startNs: 100n, endNs: 200n };
const tps = (n: number) => Array.from({ length: n }, (_, i) => ({ topic: 'a', partition: i }));

function data(records: SimRecord[][], extra: Partial<SimData> = {}): SimData {
  return {
    tps: tps(records.length),
    records,
    seek: records.map(() => 0),
    ends: records.map((l) => (l.length === 0 ? 0 : l.at(-1)!.offset + 1)),
    window: W,
    maxDisorderNs: 5n,
    onDisorder: 'dead-letter',
    partitions: 1,
    ...extra,
  };
}

const recs = (times: (number | null)[], partition = 0): SimRecord[] =>
  times.map((ts, offset) => ({ offset, ts: ts === null ? null : BigInt(ts), partition }));

const all = (d: SimData, batchSizes = [100], seed = 1) =>
  simulate(d, { seed, batchSizes, starts: freshStarts(d) });

describe('Merger', () => {
  it('merges topic-partitions into (time, id) order, equal times by id, in batches of batchSize', () => {
    const d = data([recs([100, 101, 101, 103, 110]), recs([101, 101, 102, 120])]);
    const [out] = all(d, [3]);
    const got = classify(out!);
    expect(got.inOrder).toEqual(expected(d).inOrder[0]);
    expect(got.inOrder).toEqual([
      idOf(0, 0),
      idOf(0, 1),
      idOf(0, 2),
      idOf(1, 0),
      idOf(1, 1),
      idOf(1, 2),
      idOf(0, 3),
      idOf(0, 4),
      idOf(1, 3),
    ]);
    expect(out!.map((b) => b.events.length)).toEqual([3, 3, 3]);
    for (const b of out!) expect(decodeToken(b.resume).window).toEqual(W);
  });

  it('releases nothing until every unfinished topic-partition has shown a record, then up to F', () => {
    const m = new Merger({ window: W, maxDisorderNs: 5n, onDisorder: 'dead-letter', tps: tps(2) }, [
      { partition: 0, start: restartOf(null, W, tps(2), [0, 0], [10, 10]), batchSize: 1 },
    ]);
    m.feed(
      0,
      recs([100, 110, 130]).map((r) => toRec(0, r)),
    );
    expect(m.take(0)).toBeUndefined();
    expect(m.pending).toBe(3);
    expect(m.laggards()).toEqual([1]);
    m.feed(
      1,
      recs([112]).map((r) => toRec(1, r)),
    );
    // F = min(130, 112) - 5 = 107: only the record at 100 may go.
    expect(m.take(0)!.events.map((e) => e.eventId)).toEqual([idOf(0, 0)]);
    expect(m.take(0)).toBeUndefined();
    expect(m.laggards()).toEqual([1]);
  });

  it('reorders disorder inside the bound; beyond it dead-letters OUT_OF_ORDER_SOURCE in place', () => {
    const d = data([recs([110, 106, 120, 114, 121, 150])]);
    const [out] = all(d);
    const got = classify(out!);
    // 106 is 4 behind 110 (inside 5): reordered. 114 is 6 behind 120: out of order.
    expect(got.inOrder).toEqual([idOf(0, 1), idOf(0, 0), idOf(0, 2), idOf(0, 4), idOf(0, 5)]);
    const rows = out!.flatMap((b) => b.poison ?? []);
    expect(rows.map((p) => [p.reason, p.eventId, p.tsNs])).toEqual([
      ['OUT_OF_ORDER_SOURCE', idOf(0, 3), 114n],
    ]);
    expect(rows[0]!.payload?.toString()).toBe(idOf(0, 3));
  });

  it('onDisorder send: an out-of-order event is a batch of its own, its token marks it', () => {
    const d = data([recs([110, 120, 114, 121, 150])], { onDisorder: 'send' });
    const [out] = all(d, [100]);
    const single = out!.filter((b) => decodeToken(b.resume).ooo !== null);
    expect(single.map((b) => b.events.map((e) => e.eventId))).toEqual([[idOf(0, 2)]]);
    expect(decodeToken(single[0]!.resume).ooo).toEqual({ tsNs: 114n, eventId: idOf(0, 2) });
    expect(classify(out!).inOrder).toEqual([idOf(0, 0), idOf(0, 1), idOf(0, 3), idOf(0, 4)]);
  });

  it('window is half-open; a topic-partition stops once its max time reaches end + bound', () => {
    const d = data([recs([99, 100, 150, 199, 200, 204, 205, 150])]);
    const [out] = all(d);
    expect(classify(out!).inOrder).toEqual([idOf(0, 1), idOf(0, 2), idOf(0, 3)]);
    const m = new Merger({ window: W, maxDisorderNs: 5n, onDisorder: 'dead-letter', tps: tps(1) }, [
      { partition: 0, start: restartOf(null, W, tps(1), [0], [8]), batchSize: 10 },
    ]);
    m.feed(
      0,
      d.records[0]!.map((r) => toRec(0, r)),
    );
    expect(m.done).toBe(true);
    // Stopped right after 205 (= end + 5); the out-of-order 150 after it is not read.
    expect(m.stoppedEarlyAt(0)).toBe(7);
    expect(m.nextOffset(0)).toBe(7);
  });

  it('poison rows are emitted at once, positioned among the batch events', () => {
    const d = data([recs([101, null, 102, 103])]);
    d.records[0]![2]!.poison = true;
    const [out] = all(d);
    expect(out).toHaveLength(1);
    expect(out![0]!.events.map((e) => e.eventId)).toEqual([idOf(0, 0), idOf(0, 3)]);
    // Emitted as read (before the held events were released).
    expect(out![0]!.poison!.map((p) => [p.raw.id, p.position, p.tsNs])).toEqual([
      [idOf(0, 1), 0, null],
      [idOf(0, 2), 0, 102n],
    ]);
  });

  it('an empty or finished topic-partition does not hold the merge', () => {
    const d = data([recs([101, 102]), []]);
    const m = new Merger({ window: W, maxDisorderNs: 5n, onDisorder: 'dead-letter', tps: d.tps }, [
      { partition: 0, start: restartOf(null, W, d.tps, [0, 0], [2, 0]), batchSize: 10 },
    ]);
    expect(m.isFinished(1)).toBe(true);
    m.feed(
      0,
      d.records[0]!.map((r) => toRec(0, r)),
    );
    expect(m.done).toBe(true);
    expect(m.take(0)!.events).toHaveLength(2);
    expect(m.drained(0)).toBe(true);
  });

  it('a partition whose reader left is dropped and holds nothing', () => {
    const d = data([recs([101, 102, 103])], { partitions: 2 });
    d.records[0]![1]!.partition = 1;
    const m = new Merger({ window: W, maxDisorderNs: 5n, onDisorder: 'dead-letter', tps: d.tps }, [
      { partition: 0, start: restartOf(null, W, d.tps, [0], [3]), batchSize: 10 },
      { partition: 1, start: restartOf(null, W, d.tps, [0], [3]), batchSize: 10 },
    ]);
    m.feed(
      0,
      d.records[0]!.slice(0, 2).map((r) => toRec(0, r)),
    );
    m.deactivate(1);
    expect(m.pending).toBe(2 - 1);
    m.feed(
      0,
      d.records[0]!.slice(2).map((r) => toRec(0, r)),
    );
    expect(m.take(1)).toBeUndefined();
    expect(m.partitions()).toEqual([0]);
    expect(m.take(0)!.events.map((e) => e.eventId)).toEqual([idOf(0, 0), idOf(0, 2)]);
  });

  it('a token names, per topic-partition, the lowest unreleased offset and the max time before it', () => {
    const d = data([recs([110, 108, 130, 131])]);
    const m = new Merger({ window: W, maxDisorderNs: 5n, onDisorder: 'dead-letter', tps: d.tps }, [
      { partition: 0, start: restartOf(null, W, d.tps, [0], [4]), batchSize: 1 },
    ]);
    m.feed(
      0,
      d.records[0]!.slice(0, 3).map((r) => toRec(0, r)),
    );
    // F = 125: 108 (offset 1) then 110 (offset 0) are released; 130 (offset 2) is held.
    const first = decodeToken(m.take(0)!.resume);
    expect(first.frontier).toEqual({ tsNs: 108n, eventId: idOf(0, 1) });
    expect(first.tps.get('a')!.get(0)).toEqual({ from: 0, maxBefore: null, end: 4, sent: [] });
    const second = decodeToken(m.take(0)!.resume);
    expect(second.tps.get('a')!.get(0)).toEqual({ from: 2, maxBefore: 110n, end: 4, sent: [] });
  });
});

// ---------------------------------------------------------------------------------------------
// Property: crash anywhere, resume from (position, token) → exactly the no-crash output.

const D = 5;
const dataArb = fc
  .record({
    tpCount: fc.integer({ min: 1, max: 4 }),
    partitions: fc.integer({ min: 1, max: 3 }),
    onDisorder: fc.constantFrom<OnDisorder>('dead-letter', 'send'),
    lists: fc.array(
      fc.array(
        fc.record({
          step: fc.integer({ min: 0, max: 2 }),
          jitter: fc.integer({ min: 0, max: D - 1 }),
          // One record in 8 is late by more than the bound.
          late: fc.integer({ min: D + 1, max: 16 }),
          isLate: fc.integer({ min: 0, max: 7 }),
          gap: fc.integer({ min: 1, max: 6 }),
          partition: fc.nat(),
          // One in 20 is poison without a time, one in 20 poison with one.
          poison: fc.integer({ min: 0, max: 19 }),
        }),
        { maxLength: 40, size: 'max' },
      ),
      { minLength: 4, maxLength: 4 },
    ),
    windowStart: fc.integer({ min: -5, max: 30 }),
    windowLength: fc.integer({ min: 1, max: 60 }),
    seekFraction: fc.double({ min: 0, max: 0.3, noNaN: true }),
  })
  .map((g): SimData => {
    const records = g.lists.slice(0, g.tpCount).map((list) => {
      let clock = 0;
      let offset = 0;
      return list.map((x) => {
        clock += x.step;
        offset += x.gap === 6 ? 2 : 1; // a few compacted gaps
        const ts = x.isLate === 0 ? clock - x.late : clock - x.jitter;
        return {
          offset: offset - 1,
          ts: x.poison === 0 ? null : BigInt(ts),
          partition: x.partition % g.partitions,
          poison: x.poison <= 1,
        };
      });
    });
    return {
      tps: tps(g.tpCount),
      records,
      seek: records.map((l) => l[Math.floor(l.length * g.seekFraction)]?.offset ?? 0),
      // The end: past the last record, sometimes short of it (the high watermark at start).
      ends: records.map((l) => (l.length === 0 ? 0 : l.at(-1)!.offset + (l.length % 3 === 0 ? 0 : 2))),
      window: { startNs: BigInt(g.windowStart), endNs: BigInt(g.windowStart + g.windowLength) },
      maxDisorderNs: BigInt(D),
      onDisorder: g.onDisorder,
      partitions: g.partitions,
    };
  });

interface Crash {
  position: SourcePosition | null;
  /** Batches whose poison the engine had dead-lettered. */
  handled: number;
  /** Batches covered by the token (their poison is never re-emitted). */
  tokenBatches: number;
  events: string[];
  oooBefore: string[];
}

/** The engine's view: the piece ending at event e of batch b carries token(b) if e ends b, else an older one. */
function crashAt(batches: readonly KafkaBatch[], pick: number, older: number, previous?: string): Crash {
  const flat: { b: number; i: number }[] = [];
  batches.forEach((b, bi) => {
    for (let i = 0; i < b.events.length; i++) flat.push({ b: bi, i });
  });
  if (flat.length === 0 || pick % (flat.length + 1) === flat.length) {
    return { position: null, handled: 0, tokenBatches: 0, events: [], oooBefore: [] };
  }
  const at = flat[pick % (flat.length + 1)]!;
  const batch = batches[at.b]!;
  const e = batch.events[at.i]!;
  const endsBatch = at.i === batch.events.length - 1;
  let tokenBatch = endsBatch ? at.b : at.b - 1;
  // An older token still: allowed back over batches that hold no out-of-order event sent alone.
  for (let k = 0; k < older && tokenBatch >= 0 && !endsBatch; k++) {
    if (decodeToken(batches[tokenBatch]!.resume).ooo !== null) break;
    tokenBatch--;
  }
  // Before this run's first token, the engine still holds the token it started from.
  const resume = tokenBatch >= 0 ? batches[tokenBatch]!.resume : previous;
  const before = batches.slice(0, at.b + 1);
  const sent = before.flatMap((b, bi) =>
    (bi === at.b ? b.events.slice(0, at.i + 1) : b.events).map((x) => ({
      id: x.eventId,
      ooo: decodeToken(b.resume).ooo !== null,
    })),
  );
  return {
    position: { tsNs: e.tsNs, eventId: e.eventId, ...(resume === undefined ? {} : { resume }) },
    handled: at.b + 1,
    tokenBatches: tokenBatch + 1,
    events: sent.filter((s) => !s.ooo).map((s) => s.id),
    oooBefore: sent.filter((s) => s.ooo).map((s) => s.id),
  };
}

const counts = (ids: readonly string[]) => {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
};

describe('Merger resume property', () => {
  it('crash at any acknowledged points (1-3 times), resume → the no-crash output, once each (both policies)', () => {
    fc.assert(
      fc.property(
        dataArb,
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 })), { minLength: 3, maxLength: 3 }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (d, batchSizes, crashPlan, seed) => {
          const want = expected(d);
          const first = simulate(d, { seed, batchSizes, starts: freshStarts(d) });
          // The no-crash run equals the independent reference.
          const base = first.map((out, p) => {
            const got = classify(out);
            expect(got.inOrder).toEqual(want.inOrder[p]);
            const ooo = d.onDisorder === 'send' ? want.ooo[p]! : new Set<string>();
            const poison = new Set([...want.poison[p]!, ...(d.onDisorder === 'send' ? [] : want.ooo[p]!)]);
            expect(new Set(got.ooo)).toEqual(ooo);
            expect(got.ooo).toHaveLength(ooo.size);
            expect(new Set(got.poison)).toEqual(poison);
            expect(got.poison).toHaveLength(poison.size);
            return got;
          });

          // Crash in run k, restart every partition from its own (position, token); the last run
          // goes to the end. What each partition emitted accumulates over the runs.
          const inOrder = first.map((): string[] => []);
          const ooo = first.map((): string[] => []);
          const poison = first.map((): string[] => []);
          const mayRepeat = first.map(() => new Set<string>());
          let run = first;
          const positions: (SourcePosition | null)[] = first.map(() => null);
          for (const [k, picks] of crashPlan.entries()) {
            const crashes = run.map((out, p) =>
              crashAt(out, picks[p % picks.length]![0], picks[p % picks.length]![1], positions[p]?.resume),
            );
            const starts: PartitionStart[] = crashes.map((c, p) => {
              const out = run[p]!;
              inOrder[p]!.push(...c.events);
              ooo[p]!.push(...c.oooBefore);
              poison[p]!.push(...out.slice(0, c.handled).flatMap((b) => classify([b]).poison));
              for (const id of out.slice(c.tokenBatches, c.handled).flatMap((b) => classify([b]).poison)) {
                mayRepeat[p]!.add(id);
              }
              // A crash before anything was acknowledged in this run keeps the previous cursor.
              if (c.position !== null) positions[p] = c.position;
              return restartOf(positions[p]!, d.window, d.tps, d.seek, d.ends);
            });
            run = simulate(d, { seed: seed + k + 1, batchSizes: [...batchSizes].reverse(), starts });
          }
          run.forEach((out, p) => {
            const got = classify(out);
            expect([...inOrder[p]!, ...got.inOrder]).toEqual(base[p]!.inOrder);
            expect(counts([...ooo[p]!, ...got.ooo])).toEqual(counts(base[p]!.ooo));
            // Poison: every row once, except rows of batches after the token's that were
            // dead-lettered before a crash (the dead-letter store absorbs those repeats).
            const union = counts([...poison[p]!, ...got.poison]);
            for (const [id, n] of counts(base[p]!.poison)) {
              expect(union.get(id), id).toBeGreaterThanOrEqual(n);
              if (!mayRepeat[p]!.has(id)) expect(union.get(id), id).toBe(n);
            }
            expect(new Set(union.keys())).toEqual(new Set(base[p]!.poison));
          });
        },
      ),
      { numRuns: 400 },
    );
  });
});
