/**
 * Two runs of one job must never both write (issue 9): the second exits at once naming the holder
 * (host, pid, since); a lock left by a run killed with -9 does not block the next run.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  loadRows,
  makeRows,
  simTotals,
  until,
  waitApplied,
  writeJobFile,
} from '../helpers/replay-fixture.js';

const PARTS = 4;
const TOTAL = 8_000;
let db: TestDatabase;
let sim: SimServer;

beforeAll(async () => {
  db = await createTestDatabase('locks');
  await loadRows(db, makeRows(TOTAL, PARTS, 5));
  // Slow enough that the first run is still going when the second starts.
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 1000, ring: 1000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const started = () => until(async () => (await simTotals(sim.url)).applied > 0);

/** Slow responses keep the first run going while the others try (startup alone takes seconds). */
async function slowTarget(on: boolean) {
  await fetch(`${sim.url}/sim/faults`, {
    method: on ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: on ? JSON.stringify({ latencyMs: 300 }) : undefined,
  });
}

describe('one run per job', () => {
  it('Postgres state: a second run of the same job exits at once naming the holder', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    await slowTarget(true);
    const path = await writeJobFile({ job: 'twice', dbUrl: db.url, targetUrl: sim.url });
    const first = spawnCli(['run', '-c', path, '--no-progress']);
    const firstDone = collect(first);
    await started();
    const t0 = Date.now();
    const second = await runCli(['run', '-c', path, '--no-progress']);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`job "twice" is held by job "twice", pid ${first.pid} on host \\S+ since \\d{4}-`),
    );
    expect(second.stderr).not.toMatch(/\n {4}at /); // one line, no stack
    // Re-driving the job's dead letters writes to it too: refused the same way.
    const retry = await runCli(['dead-letters', 'retry', '-c', path]);
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(new RegExp(`is held by job "twice", pid ${first.pid}`));
    first.kill('SIGTERM');
    expect((await firstDone).code).toBe(3);
    await slowTarget(false);
    // The lock went with the first run: the job finishes, every event applied once.
    const last = await runCli(['run', '-c', path, '--no-progress']);
    expect(last.code, last.stderr).toBe(0);
    const totals = await waitApplied(sim.url);
    expect(totals.applied).toBe(TOTAL);
    expect(totals.applied_twice).toBe(0);
  });

  it('file state: jobs sharing one state file cannot run side by side; a -9 leaves no lock behind', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const dir = await mkdtemp(join(tmpdir(), 'cr-lock-'));
    const state = `{ file: "${join(dir, 'state.json')}" }`;
    const a = await writeJobFile({ job: 'shared-a', dbUrl: db.url, targetUrl: sim.url, state });
    const b = await writeJobFile({ job: 'shared-b', dbUrl: db.url, targetUrl: sim.url, state });
    await slowTarget(true);
    const first = spawnCli(['run', '-c', a, '--no-progress']);
    const firstDone = collect(first);
    await started();
    const second = await runCli(['run', '-c', b, '--no-progress']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`state file \\S+state\\.json is held by job "shared-a", pid ${first.pid} on host`),
    );
    expect(second.stderr).toMatch(/give each its own state\.file/);
    first.kill('SIGKILL');
    expect((await firstDone).signal).toBe('SIGKILL');
    await slowTarget(false);
    // The killed run's lock file names a process that is gone: the next run takes it over.
    const again = await runCli(['run', '-c', a, '--no-progress']);
    expect(again.code, again.stderr).toBe(0);
    const other = await runCli(['run', '-c', b, '--no-progress']);
    expect(other.code, other.stderr).toBe(0);
  });
});
