/**
 * Batch size follows the flow controller for every batch (issue 11): against a fast target the
 * adaptive controller grows the batch well past its start (`minBatch` worth of pace), and the
 * requests on the wire grow with it — counted by the emulator, not read off a gauge. Before the
 * fix a partition's reads were opened with the knob of that moment (50 events) and every request
 * carried 50 events for the whole run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/app/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { loadRows, makeRows, resetSim, writeJobFile } from '../helpers/replay-fixture.js';

const TOTAL = 60_000;
let db: TestDatabase;
let sim: SimServer;

beforeAll(async () => {
  db = await createTestDatabase('batch_growth');
  await loadRows(db, makeRows(TOTAL, 4, 21));
  sim = await startSim({ port: 0, partitions: 4, applyRate: 1_000_000, ring: 200_000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

describe('adaptive batch size reaches the wire', () => {
  for (const workers of [0, 2]) {
    it(`mean events per request rises well above minBatch (workers ${workers})`, {
      timeout: 120_000,
    }, async () => {
      await resetSim(sim.url);
      const path = await writeJobFile({
        job: `growth-${workers}`,
        dbUrl: db.url,
        targetUrl: sim.url,
        flow: '{ mode: adaptive, minBatch: 50, maxBatch: 5000, parallelPartitions: 4 }',
        extra: `workers: ${workers}`,
      });
      const summary = await runReplay(await loadJobConfig(path), { logger: silentLogger() });
      expect(summary.outcome).toBe('done');
      const { requests } = sim.stats();
      expect(requests.events).toBeGreaterThanOrEqual(TOTAL);
      const mean = requests.events / requests.batch;
      expect(mean, `${requests.batch} requests for ${requests.events} events`).toBeGreaterThan(4 * 50);
    });
  }
});
