/**
 * The worker pool on real parts: real worker threads (piscina), real Postgres, the emulator over
 * loopback. Same applied sequence as inline; a worker killed mid-partition loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSpec, openSink, openSource, portsConfig } from '../../src/app/index.js';
import { runJob } from '../../src/cli/run.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { JobRunner } from '../../src/engine/job-runner.js';
import type { AckedBatch } from '../../src/engine/partition-runner.js';
import { PoolExecutor } from '../../src/engine/pool/pool-executor.js';
import { replayStreamId } from '../../src/engine/types.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createStateStore } from '../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  appliedOrder,
  expectedOrder,
  loadRows,
  makeRows,
  waitApplied,
  writeJobFile,
} from '../helpers/replay-fixture.js';
import { CRASH_WORKER_FILE, crashSpec, hasCrashed } from './pool/crash-worker.js';

const PARTS = 4;
const TOTAL = 8000;
let db: TestDatabase;
let sim: SimServer;
let expected: Map<number, string[]>;

beforeAll(async () => {
  db = await createTestDatabase('pool');
  await loadRows(db, makeRows(TOTAL, PARTS, 5));
  expected = await expectedOrder(db);
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 1_000_000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

async function expectExactSource() {
  const t = await waitApplied(sim.url);
  expect(t.applied).toBe(TOTAL);
  expect(t.applied_twice).toBe(0);
  expect(t.replay_out_of_order).toBe(0);
  const applied = await appliedOrder(sim.url, PARTS);
  for (const [p, ids] of expected) expect(applied.get(p)).toEqual(ids);
}

describe('worker pool', () => {
  it('2 workers apply the same sequence per partition as inline', async () => {
    for (const workers of [0, 2]) {
      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      const path = await writeJobFile({
        job: `pool-${workers}`,
        dbUrl: db.url,
        targetUrl: sim.url,
        extra: `workers: ${workers}`,
      });
      const s = await runJob(await loadJobConfig(path), { progress: false, logger: silentLogger() });
      expect(s.outcome).toBe('done');
      expect(s.events).toBe(TOTAL);
      await expectExactSource();
    }
  });

  it("the flow controller's knobs reach the partition runner, inline and in workers", async () => {
    for (const workers of [0, 2]) {
      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      const path = await writeJobFile({
        job: `pool-knobs-${workers}`,
        dbUrl: db.url,
        targetUrl: sim.url,
        extra: `workers: ${workers}`,
        // Adaptive: paced from 400 events/s per partition, in batches of max(minBatch, 20 ms of
        // the pace) = 50 events; the static batchSize (1000) would send the whole run in ~8.
        flow: '{ targetApplyLagMs: 200, startRate: 400, batchSize: 1000, parallelPartitions: 4 }',
      });
      const s = await runJob(await loadJobConfig(path), { progress: false, logger: silentLogger() });
      expect(s.outcome).toBe('done');
      expect(s.events).toBe(TOTAL);
      expect(s.batches, `batches with ${workers} workers`).toBeGreaterThan((3 * TOTAL) / 1000);
      await expectExactSource();
    }
  });

  it("a killed worker's partition resumes in a fresh task and completes with nothing lost", async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const path = await writeJobFile({
      job: 'pool-crash',
      dbUrl: db.url,
      targetUrl: sim.url,
      extra: 'workers: 2',
      flow: '{ batchSize: 100, maxInFlight: 4, parallelPartitions: 4, commitIntervalMs: 50 }',
    });
    const config = await loadJobConfig(path);
    const logger = silentLogger();
    const source = await openSource(config, logger);
    const sink = await openSink(config, logger);
    const store = createStateStore(config.state);
    await store.init();
    const partitions = [...expected.keys()].sort((a, b) => a - b);
    const spec = jobSpec(config, partitions);
    const crashes: number[] = [];
    const victim = partitions[1]!;
    // The test worker entry kills its thread once, on the victim's send after 3 acknowledged batches.
    const portsSpec = crashSpec(portsConfig(config, 2), victim, 3);
    const executor = new PoolExecutor({
      job: config.job,
      windows: spec.windows,
      workers: 2,
      parallelPartitions: spec.parallelPartitions,
      partitions,
      readBatchSize: spec.readBatchSize,
      ...(spec.fold ? { fold: spec.fold } : {}),
      workerFile: CRASH_WORKER_FILE,
      portsSpec,
      logger,
      onWorkerCrash: (p) => crashes.push(p),
    });
    try {
      const runner = new JobRunner({ source, sink, store, logger, executor }, spec);
      const s = await runner.run({ stop: new AbortController().signal, abort: new AbortController().signal });
      expect(s.outcome).toBe('done');
      expect(hasCrashed(portsSpec)).toBe(true);
      // A dead thread takes every task it was running (2 partitions per worker here); each resumes.
      expect(crashes).toContain(victim);
      expect(crashes.length).toBeLessThanOrEqual(2);
      expect(executor.crashes).toBe(crashes.length);
      await expectExactSource();
    } finally {
      await executor.close();
      await sink.close();
      await source.close();
      await store.close();
    }
  });

  it('a worker that dies with batches in flight leaves none counted in flight', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const path = await writeJobFile({
      job: 'pool-inflight',
      dbUrl: db.url,
      targetUrl: sim.url,
      extra: 'workers: 1',
      flow: '{ batchSize: 100, maxInFlight: 4, parallelPartitions: 1, commitIntervalMs: 50 }',
    });
    const config = await loadJobConfig(path);
    const partitions = [...expected.keys()].sort((a, b) => a - b);
    const p = partitions[0]!;
    const spec = jobSpec(config, partitions);
    // The thread dies on a send of p after 2 acknowledged batches: at least that batch is in flight.
    const portsSpec = crashSpec(portsConfig(config, 1), p, 2);
    const executor = new PoolExecutor({
      job: config.job,
      windows: spec.windows,
      workers: 1,
      parallelPartitions: 1,
      partitions: [p],
      readBatchSize: spec.readBatchSize,
      workerFile: CRASH_WORKER_FILE,
      portsSpec,
      logger: silentLogger(),
    });
    let inflight = 0;
    let lowest = 0;
    let granted = 0;
    const acks: AckedBatch[] = [];
    try {
      const res = await executor.run({
        partition: p,
        stream: replayStreamId(config.job, p, 1),
        start: null,
        knobs: { batchSize: 100, maxInFlight: 4 },
        stop: new AbortController().signal,
        abort: new AbortController().signal,
        onAck: (a) => acks.push(a),
        onInflight: (d) => {
          inflight += d;
          lowest = Math.min(lowest, inflight);
          if (d > 0) granted += d;
        },
      });
      expect(res.outcome).toBe('done');
      expect(hasCrashed(portsSpec)).toBe(true);
      expect(executor.crashes).toBe(1);
      expect(inflight).toBe(0);
      expect(lowest).toBe(0);
      // Batches granted to the dead worker and never acknowledged were counted, then taken back.
      expect(granted).toBeGreaterThan(acks.length);
      // One ack per batch, contiguous across the restart, covering the partition once.
      let seq = 0n;
      for (const a of acks) {
        expect(a.cursor.seq).toBe(seq + BigInt(a.events));
        seq = a.cursor.seq;
      }
      expect(Number(seq)).toBe(expected.get(p)!.length);
      expect(res.events).toBe(expected.get(p)!.length);
      const t = await waitApplied(sim.url);
      expect(t.applied_twice).toBe(0);
      expect((await appliedOrder(sim.url, PARTS)).get(p)).toEqual(expected.get(p));
    } finally {
      await executor.close();
    }
  });
});
