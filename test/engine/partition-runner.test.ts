import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AckedBatch, runPartition } from '../../src/engine/partition-runner.js';
import type { EventBatch, SourceEvent, SourcePosition } from '../../src/sources/source.js';
import { MemorySource, makeEvents, ScriptedSink } from './memory-ports.js';

const WINDOW = { startNs: 0n, endNs: 10n ** 18n };

function run(
  sink: ScriptedSink,
  n: number,
  batchSize: number,
  maxInFlight: number,
  stop = new AbortController(),
) {
  const acks: AckedBatch[] = [];
  const source = new MemorySource(new Map([[3, makeEvents(3, n)]]));
  const p = runPartition({
    job: 'j',
    partition: 3,
    stream: 'j/3/1',
    source,
    sink,
    windows: [WINDOW],
    start: null,
    knobs: { batchSize, maxInFlight },
    stop: stop.signal,
    abort: new AbortController().signal,
    onAck: (a) => acks.push(a),
  });
  return { p, acks };
}

describe('runPartition', () => {
  it('acks strictly in batch order even when sends complete out of order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        async (bs, mif, seed) => {
          let s = seed;
          const sink = new ScriptedSink({
            sequencing: true,
            latency: () => {
              s = (s * 1103515245 + 12345) % 2147483648;
              return s % 5;
            },
          });
          const { p, acks } = run(sink, 200, bs, mif);
          const res = await p;
          expect(res.outcome).toBe('done');
          expect(acks.reduce((a, b) => a + b.events, 0)).toBe(200);
          // contiguous seq, monotone cursor
          let seq = 0n;
          for (const a of acks) {
            expect(a.cursor.seq).toBe(seq + BigInt(a.events));
            seq = a.cursor.seq;
          }
          expect(sink.maxInflight).toBeLessThanOrEqual(mif);
          // seq numbering on the wire is contiguous from 1
          const firsts = sink.sent.map((b) => b.firstSeq!);
          expect(firsts[0]).toBe(1n);
          expect(sink.sent.every((b) => b.replayStream === 'j/3/1')).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps one batch in flight against a target without sequencing and omits sequence fields', async () => {
    const sink = new ScriptedSink({ sequencing: false, latency: () => 1 });
    const { p } = run(sink, 100, 10, 8);
    await p;
    expect(sink.maxInflight).toBe(1);
    expect(sink.sent.every((b) => b.firstSeq === undefined && b.replayStream === undefined)).toBe(true);
  });

  it('never advances the cursor past a failed batch, and fails after in-flight batches settle', async () => {
    const sink = new ScriptedSink({
      sequencing: true,
      latency: (b) => (b.firstSeq === 21n ? 20 : 1),
      fail: (b) => (b.firstSeq === 21n ? new Error('boom') : undefined),
    });
    const { p, acks } = run(sink, 100, 10, 4);
    await expect(p).rejects.toThrow(/boom/);
    expect(acks.at(-1)!.cursor.seq).toBe(20n);
    expect(sink.inflight).toBe(0);
  });

  it('stops reading on a graceful stop and reports interrupted with a contiguous prefix acked', async () => {
    const stop = new AbortController();
    const sink = new ScriptedSink({ sequencing: true, latency: () => 2 });
    const { p, acks } = run(sink, 1000, 10, 4, stop);
    setTimeout(() => stop.abort(), 15);
    const res = await p;
    expect(res.outcome).toBe('interrupted');
    const sentEvents = sink.sent.reduce((a, b) => a + b.events.length, 0);
    expect(acks.reduce((a, b) => a + b.events, 0)).toBe(sentEvents); // everything sent was drained
    expect(sentEvents).toBeLessThan(1000);
  });

  it('resumes strictly after a cursor and continues the sequence', async () => {
    const events = makeEvents(3, 50);
    const source = new MemorySource(new Map([[3, events]]));
    const sink = new ScriptedSink({ sequencing: true, latency: () => 0 });
    const start = {
      partition: 3,
      tsNs: events[19]!.tsNs,
      eventId: events[19]!.eventId,
      seq: 20n,
      acked: 20n,
      done: false,
    };
    const acks: AckedBatch[] = [];
    await runPartition({
      job: 'j',
      partition: 3,
      stream: 'j/3/1',
      source,
      sink,
      windows: [WINDOW],
      start,
      knobs: { batchSize: 7, maxInFlight: 2 },
      stop: new AbortController().signal,
      abort: new AbortController().signal,
      onAck: (a) => acks.push(a),
    });
    const ids = sink.sent.flatMap((b) => b.events.map((e) => e.eventId));
    expect(ids).toEqual(events.slice(20).map((e) => e.eventId));
    expect(sink.sent[0]!.firstSeq).toBe(21n);
    expect(acks.at(-1)!.cursor.seq).toBe(50n);
  });
});

describe('runPartition: source resume tokens', () => {
  /** A source whose batches (of `size` events) carry `t<index of the batch's last event>`; it records `from`. */
  class TokenSource extends MemorySource {
    froms: (SourcePosition | null)[] = [];
    constructor(
      private readonly evs: SourceEvent[],
      private readonly size: number,
      private readonly allPoisonAt = -1,
    ) {
      super(new Map([[3, evs]]));
    }
    override async *read(_p: number, from: SourcePosition | null): AsyncIterable<EventBatch> {
      this.froms.push(from);
      const start = from ? this.evs.findIndex((e) => e.eventId === from.eventId) + 1 : 0;
      for (let i = start; i < this.evs.length; i += this.size) {
        await new Promise((r) => setImmediate(r));
        const events = this.evs.slice(i, i + this.size);
        const resume = `t${i + events.length - 1}`;
        if (i === this.allPoisonAt) {
          // Every row of this batch is poison: no event to send, the token still moves on.
          const poison = events.map((e, k) => ({
            reason: 'NULL_KEY',
            eventId: e.eventId,
            tsNs: e.tsNs,
            partition: 3,
            raw: {},
            position: k,
          }));
          yield { partition: 3, events: [], poison, resume };
        } else yield { partition: 3, events, resume };
      }
    }
  }

  const runWith = (
    source: TokenSource,
    batchSize: number,
    start: Parameters<typeof runPartition>[0]['start'],
  ) => {
    const acks: AckedBatch[] = [];
    const p = runPartition({
      job: 'j',
      partition: 3,
      stream: 'j/3/1',
      source,
      sink: new ScriptedSink({ sequencing: true, latency: () => 0 }),
      windows: [WINDOW],
      start,
      knobs: { batchSize, maxInFlight: 4 },
      stop: new AbortController().signal,
      abort: new AbortController().signal,
      onAck: (a) => acks.push(a),
      onDeadLetters: async () => undefined,
    });
    return { p, acks };
  };

  it('each cursor carries the newest token whose batch ended at or before it (pieces carry the previous one)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: -1, max: 40 }),
        async (sourceBatch, sendBatch, poisonAt) => {
          const evs = makeEvents(3, 40);
          const allPoisonAt = poisonAt >= 0 && poisonAt % sourceBatch === 0 ? poisonAt : -1;
          const source = new TokenSource(evs, sourceBatch, allPoisonAt);
          const { p, acks } = runWith(source, sendBatch, null);
          await p;
          for (const a of acks) {
            const at = evs.findIndex((e) => e.eventId === a.cursor.eventId);
            // Newest source batch end ≤ at (an all-poison batch's end counts too).
            const ends = Array.from({ length: 40 }, (_, k) => k).filter(
              (k) => (k + 1) % sourceBatch === 0 || k === 39,
            );
            const newest = ends.filter((k) => k <= at).at(-1);
            expect(a.cursor.resume).toBe(newest === undefined ? undefined : `t${newest}`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('hands the stored token back to the source on restart', async () => {
    const evs = makeEvents(3, 10);
    const source = new TokenSource(evs, 4);
    const start = {
      partition: 3,
      tsNs: evs[5]!.tsNs,
      eventId: evs[5]!.eventId,
      seq: 6n,
      acked: 6n,
      done: false,
      resume: 't3',
    };
    const { p, acks } = runWith(source, 100, start);
    await p;
    expect(source.froms).toEqual([{ tsNs: evs[5]!.tsNs, eventId: evs[5]!.eventId, resume: 't3' }]);
    expect(acks.map((a) => a.cursor.resume)).toEqual(['t9']);
  });
});
