/**
 * A run that fails half-way leaves nothing behind (issue 9): its job is marked failed with the
 * cause, and whatever it opened — state store, run lock, source, sink, metrics server — is closed,
 * so the next run starts cleanly.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/app/index.js';
import { runJob } from '../../src/cli/run.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createStateStore } from '../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { loadRows, makeRows, writeJobFile } from '../helpers/replay-fixture.js';

let db: TestDatabase;
let sim: SimServer;
const quiet = { logger: silentLogger() } as const;

beforeAll(async () => {
  db = await createTestDatabase('lifecycle');
  await loadRows(db, makeRows(500, 4, 3));
  sim = await startSim({ port: 0, partitions: 4, applyRate: 1_000_000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

async function backends(): Promise<number> {
  const r = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name LIKE 'ceptra-replay%'`,
  );
  return r.rows[0]!.n;
}

describe('a run that throws', () => {
  it('marks its job failed with the cause, and releases the lock and every connection', async () => {
    const path = await writeJobFile({
      job: 'throws',
      dbUrl: db.url,
      targetUrl: sim.url,
      extra: 'workers: 0',
    });
    const config = await loadJobConfig(path);
    await expect(
      runReplay(config, {
        ...quiet,
        onReplay: () => {
          throw new Error('boom: the fold store went away');
        },
      }),
    ).rejects.toThrow(/boom/);
    const store = createStateStore(config.state);
    await store.init();
    const job = await store.getJob('throws');
    await store.close();
    expect(job).toMatchObject({ state: 'failed', error: 'boom: the fold store went away' });
    expect(await backends()).toBe(0);
    // The lock went with it: the same job runs to the end now.
    expect((await runReplay(config, quiet)).outcome).toBe('done');
  });

  it('a metrics port already taken is bad input naming --metrics-port; nothing stays open', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const path = await writeJobFile({
        job: 'port',
        dbUrl: db.url,
        targetUrl: sim.url,
        extra: 'workers: 0',
      });
      const config = await loadJobConfig(path);
      const err = await runJob(config, { ...quiet, progress: false, metricsPort: port }).catch(
        (e: unknown) => e,
      );
      expect(err).toMatchObject({ code: 'BAD_CONFIG', exitCode: 2 });
      expect((err as Error).message).toMatch(
        new RegExp(`--metrics-port: cannot serve /metrics on 127.0.0.1:${port}`),
      );
      expect(await backends()).toBe(0);
    } finally {
      taken.close();
    }
  });
});
