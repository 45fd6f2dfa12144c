/**
 * A batch refused OUT_OF_ORDER_SEQUENCE because the batch before it failed (an outage past the
 * deadline) can never be accepted before that one is re-sent: the sink must fail it (retryable),
 * not re-send it forever. Real emulator over loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../../src/sim/index.js';
import { createCeptraSink } from '../../../src/sinks/ceptra/index.js';
import type { SourceEvent } from '../../../src/sources/source.js';

let sim: SimServer;
beforeAll(async () => {
  sim = await startSim({ port: 0, partitions: 1, applyRate: 1_000_000 });
});
afterAll(() => sim.close());

const events = (from: number, n: number): SourceEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    tsNs: BigInt(Date.now() - 60_000) * 1_000_000n + BigInt(from + i),
    eventId: `e-${from + i}`,
    key: Buffer.from('k'),
    payload: Buffer.from('{}'),
    schemaKey: 'json:1',
  }));

describe('CeptraSink: out of order behind a failed batch', () => {
  it('fails the batch (retryable) instead of re-sending it forever; nothing is applied', async () => {
    const sink = await createCeptraSink({ url: sim.url, sequencing: true, retryBaseMs: 1, retryCapMs: 5 });
    try {
      const failed = Promise.reject(new Error('the first batch hit the outage deadline'));
      failed.catch(() => undefined);
      // Seq 11..20 while the target still waits for seq 1: OUT_OF_ORDER_SEQUENCE on every try.
      const t0 = Date.now();
      const err = await sink
        .send({ partition: 0, events: events(10, 10), replayStream: 'j/0', firstSeq: 11n, after: failed })
        .then(
          () => null,
          (e: unknown) => e as { code?: string; canRetry?: boolean; message?: string },
        );
      expect(err, 'the send must fail').not.toBeNull();
      expect(err!.canRetry).toBe(true);
      expect(err!.message).toMatch(/OUT_OF_ORDER_SEQUENCE/);
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(sim.stats().totals.committed).toBe(0);
    } finally {
      await sink.close();
    }
  });
});
