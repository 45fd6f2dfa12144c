/**
 * The worker pool on real parts: real worker threads (piscina), real Postgres, the emulator over
 * loopback. Same applied sequence as inline; a worker killed mid-partition loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobSpec, openSink, openSource, portsConfig } from '../../src/cli/job-context.js';
import { runJob } from '../../src/cli/run.js';
import { POOL_WORKER_FILE } from '../../src/cli/worker-ports.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { JobRunner } from '../../src/engine/job-runner.js';
import { PoolExecutor } from '../../src/engine/pool/pool-executor.js';
import { createStateStore } from '../../src/engine/state/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  appliedOrder,
  expectedOrder,
  loadRows,
  makeRows,
  waitApplied,
  writeJobFile,
} from '../helpers/replay-fixture.js';

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
    const executor = new PoolExecutor({
      job: config.job,
      windows: spec.windows,
      workers: 2,
      parallelPartitions: spec.parallelPartitions,
      partitions,
      readBatchSize: spec.readBatchSize,
      ...(spec.fold ? { fold: spec.fold } : {}),
      workerFile: POOL_WORKER_FILE,
      portsSpec: portsConfig(config, 2),
      logger,
      onWorkerCrash: (p) => crashes.push(p),
    });
    try {
      const victim = partitions[1]!;
      executor.control.setCrashAfterAcks(executor.slot(victim), 3);
      const runner = new JobRunner({ source, sink, store, logger, executor }, spec);
      const s = await runner.run({ stop: new AbortController().signal, abort: new AbortController().signal });
      expect(s.outcome).toBe('done');
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
});
