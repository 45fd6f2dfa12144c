/**
 * Source-side folding during a replay: bit-identical pane snapshots whatever the worker count or
 * batch size, equal to an independent fold of the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/app/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import type { JobRunner } from '../../src/engine/job-runner.js';
import { PaneFolder } from '../../src/monoid/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { type FixtureRow, loadRows, makeRows, writeJobFile } from '../helpers/replay-fixture.js';

const PARTS = 4;
let db: TestDatabase;
let sim: SimServer;
let rows: FixtureRow[];

beforeAll(async () => {
  db = await createTestDatabase('fold');
  rows = makeRows(5000, PARTS, 9);
  await loadRows(db, rows);
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 1_000_000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const VERIFY = `verify:
  paneSize: 250ms
  metrics:
    - { name: amount_sum, kind: sum, field: $.amount }
    - { name: users, kind: distinct, field: $.user }
    - { name: amount_p95, kind: quantile, q: 0.95, field: $.amount }`;

describe('source-side fold', () => {
  it('is identical with 0 and 2 workers and different batch sizes, and equals an independent fold', async () => {
    const snaps: string[] = [];
    for (const [workers, batchSize] of [
      [0, 1000],
      [2, 37],
      [2, 500],
    ] as const) {
      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      const path = await writeJobFile({
        job: `fold-${workers}-${batchSize}`,
        dbUrl: db.url,
        targetUrl: sim.url,
        extra: `workers: ${workers}\n${VERIFY}`,
        flow: `{ batchSize: ${batchSize}, maxInFlight: 3, parallelPartitions: 4 }`,
      });
      let runner: JobRunner | undefined;
      const s = await runReplay(await loadJobConfig(path), {
        logger: silentLogger(),
        onReplay: (r) => (runner = r.runner),
      });
      expect(s.outcome).toBe('done');
      expect(runner!.foldedFromStart.size).toBe(PARTS);
      snaps.push(JSON.stringify(runner!.panes!.snapshot()));
    }
    expect(snaps[1]).toBe(snaps[0]);
    expect(snaps[2]).toBe(snaps[0]);

    // Independent fold of the fixture rows (the payload bytes as Postgres stores jsonb).
    const stored = await db.query<{ part_id: number; ts: string; payload: string }>(
      `SELECT part_id, ((extract(epoch from event_time) * 1000000)::bigint * 1000)::text AS ts, payload::text AS payload
       FROM events ORDER BY part_id, event_time, event_id`,
    );
    const folder = new PaneFolder({
      paneNs: 250_000_000n,
      metrics: [
        { name: 'amount_sum', kind: 'sum', field: '$.amount' },
        { name: 'users', kind: 'distinct', field: '$.user' },
        { name: 'amount_p95', kind: 'quantile', q: 0.95, field: '$.amount' },
      ],
    });
    for (const r of stored.rows)
      folder.add(r.part_id, BigInt(r.ts), Buffer.byteLength(r.payload), JSON.parse(r.payload));
    expect(snaps[0]).toBe(JSON.stringify(folder.snapshot()));
    expect(rows.length).toBe(5000);
  });

  it('folds the built-ins alone through the fast path, bit-identical to the general fold', async () => {
    const snaps: string[] = [];
    for (const [workers, batchSize] of [
      [0, 1000],
      [2, 37],
    ] as const) {
      await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
      const path = await writeJobFile({
        job: `fold-builtins-${workers}-${batchSize}`,
        dbUrl: db.url,
        targetUrl: sim.url,
        extra: `workers: ${workers}`,
        flow: `{ batchSize: ${batchSize}, maxInFlight: 3, parallelPartitions: 4 }`,
      });
      let runner: JobRunner | undefined;
      const s = await runReplay(await loadJobConfig(path), {
        logger: silentLogger(),
        onReplay: (r) => (runner = r.runner),
      });
      expect(s.outcome).toBe('done');
      snaps.push(JSON.stringify(runner!.panes!.snapshot()));
    }
    expect(snaps[1]).toBe(snaps[0]);
    const stored = await db.query<{ part_id: number; ts: string; payload: string }>(
      `SELECT part_id, ((extract(epoch from event_time) * 1000000)::bigint * 1000)::text AS ts, payload::text AS payload
       FROM events ORDER BY part_id, event_time, event_id`,
    );
    const folder = new PaneFolder({ paneNs: 250_000_000n });
    for (const r of stored.rows) folder.add(r.part_id, BigInt(r.ts), Buffer.byteLength(r.payload));
    expect(snaps[0]).toBe(JSON.stringify(folder.snapshot()));
  });
});
