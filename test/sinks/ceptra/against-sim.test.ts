/**
 * CeptraSink into the real emulator (src/sim) with faults on: TransientBackpressure, 429/503,
 * dropped connections and latency. Ground truth from `/sim/stats` and `/sim/applied`: every
 * event applied exactly once and in order per partition, with and without sequencing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/common/fnv.js';
import { defaultSimFaults, type SimServer, type SimStats, startSim } from '../../../src/sim/index.js';
import { CeptraControlClient, type CeptraSink, createCeptraSink } from '../../../src/sinks/ceptra/index.js';
import type { SinkBatch } from '../../../src/sinks/sink.js';
import type { SourceEvent } from '../../../src/sources/source.js';

const SIM_PARTITIONS = 8;
const STREAMS = 4;
const PER_STREAM = 1_000;
const BATCH = 100;

/** Stream s only uses keys routed to sim partitions p with p % STREAMS === s, so order is checkable. */
function streamEvents(s: number, tag: string): SourceEvent[] {
  const keys: string[] = [];
  for (let k = 0; keys.length < 6; k++) {
    const key = `tenant-${k}`;
    if (partitionForKey(key, SIM_PARTITIONS) % STREAMS === s) keys.push(key);
  }
  const base = BigInt(Date.now() - 60_000) * 1_000_000n;
  return Array.from({ length: PER_STREAM }, (_, i) => ({
    tsNs: base + BigInt(i) * 1_000_000n,
    eventId: `${tag}-${s}-${i}`,
    key: Buffer.from(keys[i % keys.length]!),
    payload: Buffer.from(JSON.stringify({ s, i, v: i * 7 })),
    schemaKey: 'json:1',
  }));
}

/** Send a stream in batches, up to `inflight` batches at once (like the partition runner). */
async function sendStream(sink: CeptraSink, s: number, events: SourceEvent[], inflight: number) {
  const batches: SinkBatch[] = [];
  for (let i = 0; i < events.length; i += BATCH) {
    const b: SinkBatch = { partition: s, events: events.slice(i, i + BATCH) };
    if (sink.sequencing) {
      b.replayStream = `job/${s}`;
      b.firstSeq = BigInt(i + 1);
    }
    batches.push(b);
  }
  let accepted = 0;
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const ack = await sink.send(batches[next++]!);
      accepted += ack.accepted;
      expect(ack.rejected).toEqual([]);
    }
  };
  await Promise.all(Array.from({ length: inflight }, lane));
  return accepted;
}

async function appliedLog(sim: SimServer, p: number): Promise<string[]> {
  const text = await (await fetch(`${sim.url}/sim/applied?partition=${p}`)).text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { event_id: string }).event_id);
}

async function settled(sim: SimServer): Promise<SimStats> {
  for (let i = 0; i < 200; i++) {
    const stats = (await (await fetch(`${sim.url}/sim/stats`)).json()) as SimStats;
    if (stats.totals.queue_depth === 0) return stats;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('emulator did not drain');
}

describe('CeptraSink against the emulator with faults', () => {
  let sim: SimServer;
  beforeAll(async () => {
    sim = await startSim({
      port: 0,
      partitions: SIM_PARTITIONS,
      faults: {
        ...defaultSimFaults,
        transientProbability: 0.04,
        http429Probability: 0.02,
        http503Probability: 0.02,
        retryAfterMs: 10,
        dropProbability: 0.02,
        latencyMs: [0, 3],
        // Bounded: the faults stop after this many, so the test ends by itself.
        faultCount: 60,
        seed: 42,
      },
    });
  });
  afterAll(async () => {
    await sim?.close();
  });

  for (const variant of [
    {
      name: 'batch, sequencing, 3 batches in flight',
      sequencing: 'auto' as const,
      mode: 'batch' as const,
      inflight: 3,
    },
    {
      name: 'batch, event-id dedup, 1 batch in flight',
      sequencing: false,
      mode: 'batch' as const,
      inflight: 1,
    },
    { name: 'single /append, sequencing', sequencing: 'auto' as const, mode: 'single' as const, inflight: 2 },
  ]) {
    it(`${variant.name}: every event applied exactly once, in order per partition`, async () => {
      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      const sink = await createCeptraSink({
        url: sim.url,
        sequencing: variant.sequencing,
        mode: variant.mode,
        connections: 4,
        retryBaseMs: 5,
        retryCapMs: 50,
      });
      try {
        expect(sink.sequencing).toBe(variant.sequencing === 'auto');
        const tag = variant.name.replace(/\W+/g, '_');
        const streams = Array.from({ length: STREAMS }, (_, s) => streamEvents(s, tag));
        const accepted = await Promise.all(streams.map((ev, s) => sendStream(sink, s, ev, variant.inflight)));
        expect(accepted).toEqual(streams.map(() => PER_STREAM));

        const stats = await settled(sim);
        const total = STREAMS * PER_STREAM;
        expect(stats.totals.applied).toBe(total);
        expect(stats.totals.applied_twice).toBe(0);
        expect(stats.totals.late_dropped).toBe(0);
        const injected = Object.values(stats.faults_injected).reduce((a, b) => a + b, 0);
        expect(injected).toBeGreaterThan(0);
        expect(Object.values(sink.client.stats().retriesByReason).reduce((a, b) => a + b, 0)).toBeGreaterThan(
          0,
        );

        for (let p = 0; p < SIM_PARTITIONS; p++) {
          const expected = streams[p % STREAMS]!.filter(
            (e) => partitionForKey(e.key, SIM_PARTITIONS) === p,
          ).map((e) => e.eventId);
          expect(await appliedLog(sim, p)).toEqual(expected);
        }
      } finally {
        await sink.close();
      }
    });
  }

  it('control-plane client reads state, readyz, metrics and patches/rolls back config', async () => {
    const sink = await createCeptraSink({ url: sim.url });
    try {
      const control = new CeptraControlClient(sink.client.transport);
      expect(await control.supportsSequencing()).toBe(true);
      const ready = await control.getReadyz();
      expect(typeof ready.ready).toBe('boolean');
      expect(await control.getMetricsText()).toMatch(/apply_lag_ms/);
      const before = await control.getConfig();
      const patched = await control.patchConfig({ partitions: { '1': { lateness_allowance_ms: 5000 } } });
      expect(patched.version).toBeGreaterThan(Number(before.version ?? 0));
      const rolled = await control.rollbackConfig(Number(before.version ?? 1));
      expect(rolled.version).toBeGreaterThan(patched.version);
    } finally {
      await sink.close();
    }
  });
});
