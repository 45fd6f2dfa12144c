/**
 * The shared contract every `Sink` passes, against the real emulator over loopback (contract §2):
 * a batch is acknowledged event by event in order; a permanent refusal is reported (index, id,
 * reason) and never retried; a throttled batch still lands exactly once, in order; with replay
 * sequencing, re-sending the same seqs is absorbed as duplicates and `lastSeq` says where a
 * stream stands; an empty batch is a no-op.
 */
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/common/fnv.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import type { Sink } from '../../src/sinks/sink.js';
import type { SourceEvent } from '../../src/sources/source.js';

const PARTS = 4;

export interface SinkHarness {
  /** A sink to `sim`, sequencing as the implementation does. */
  open(sim: SimServer): Promise<Sink>;
  /** Start the emulator with replay sequencing (default) or without. */
  replaySequencing?: boolean;
}

/** n events of CEPtra partition `p` (keys routed there), recent enough to be neither late nor future. */
function events(p: number, n: number, prefix: string): SourceEvent[] {
  const keys: Buffer[] = [];
  for (let i = 0; keys.length < 3; i++) {
    const k = Buffer.from(`k${i}`);
    if (partitionForKey(k, PARTS) === p) keys.push(k);
  }
  const base = BigInt(Date.now() - 60_000) * 1_000_000n;
  return Array.from({ length: n }, (_, i) => ({
    tsNs: base + BigInt(i) * 1_000n,
    eventId: `${prefix}-${i}`,
    key: keys[i % keys.length]!,
    payload: Buffer.from(`{"i":${i}}`),
    schemaKey: 'proto:1.0:contract',
  }));
}

async function applied(sim: SimServer, p: number): Promise<string[]> {
  for (let i = 0; i < 200 && sim.stats().totals.queue_depth > 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  const text = await (await fetch(`${sim.url}/sim/applied?partition=${p}`)).text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { event_id: string }).event_id);
}

export function sinkContract(name: string, harness: () => SinkHarness): void {
  describe(`${name}: Sink contract`, () => {
    const withSink = async (fn: (sink: Sink, sim: SimServer) => Promise<void>) => {
      const h = harness();
      const sim = await startSim({
        port: 0,
        partitions: PARTS,
        applyRate: 1_000_000,
        replaySequencing: h.replaySequencing ?? true,
      });
      const sink = await h.open(sim);
      try {
        await fn(sink, sim);
      } finally {
        await sink.close();
        await sim.close();
      }
    };
    const stream = (sink: Sink, s: string, firstSeq: bigint) =>
      sink.sequencing ? { replayStream: s, firstSeq } : {};

    it('acknowledges every event of a batch, applied in order', () =>
      withSink(async (sink, sim) => {
        const evs = events(1, 50, 'a');
        const ack = await sink.send({ partition: 1, events: evs, ...stream(sink, 'c/1/1', 1n) });
        expect(ack).toMatchObject({ accepted: 50, duplicates: 0, rejected: [] });
        expect(await applied(sim, 1)).toEqual(evs.map((e) => e.eventId));
      }));

    it('reports a permanent refusal with its index and reason, never retried; the rest applied', () =>
      withSink(async (sink, sim) => {
        await fetch(`${sim.url}/sim/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ rejectPattern: '^r-7$', rejectReason: 'PERMANENT_SCHEMA' }),
        });
        const evs = events(2, 12, 'r');
        const ack = await sink.send({ partition: 2, events: evs, ...stream(sink, 'c/2/1', 1n) });
        expect(ack.rejected).toEqual([{ index: 7, eventId: 'r-7', reason: 'PERMANENT_SCHEMA' }]);
        expect(ack.accepted).toBe(11);
        expect(sim.stats().partitions[2]!.rejected).toEqual({ PERMANENT_SCHEMA: 1 });
        expect(await applied(sim, 2)).toEqual(evs.filter((e) => e.eventId !== 'r-7').map((e) => e.eventId));
      }));

    it('lands a throttled batch exactly once, in order, counting the retries', () =>
      withSink(async (sink, sim) => {
        await fetch(`${sim.url}/sim/faults`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ transientProbability: 0.5, faultCount: 6, seed: 9 }),
        });
        const evs = events(3, 40, 't');
        const ack = await sink.send({ partition: 3, events: evs, ...stream(sink, 'c/3/1', 1n) });
        expect(ack.accepted).toBe(40);
        expect(Object.values(ack.retries).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        expect(await applied(sim, 3)).toEqual(evs.map((e) => e.eventId));
        expect(sim.stats().totals.applied_twice).toBe(0);
      }));

    it('absorbs a re-send of what was acknowledged (same ids and bytes), applying nothing twice', () =>
      withSink(async (sink, sim) => {
        const evs = events(0, 20, 'd');
        await sink.send({ partition: 0, events: evs, ...stream(sink, 'c/0/1', 1n) });
        const again = await sink.send({ partition: 0, events: evs, ...stream(sink, 'c/0/1', 1n) });
        expect(again).toMatchObject({ accepted: 20, duplicates: 20, rejected: [] });
        expect(await applied(sim, 0)).toEqual(evs.map((e) => e.eventId));
        if (sink.sequencing) {
          expect(await sink.lastSeq?.('c/0/1')).toBe(20n);
          expect(await sink.lastSeq?.('c/0/never')).toBe(0n);
        }
      }));

    it('resolves an empty batch with nothing sent', () =>
      withSink(async (sink, sim) => {
        const ack = await sink.send({ partition: 0, events: [] });
        expect(ack).toEqual({ accepted: 0, duplicates: 0, rejected: [], retries: {}, resent: 0 });
        expect(sim.stats().totals.committed).toBe(0);
      }));
  });
}
