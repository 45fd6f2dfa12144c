/**
 * The CLI as an operator runs it: an abrupt kill mid-run and a resume, graceful SIGTERM (exit 3),
 * and bad input (exit 2, a message naming the field, nothing sent).
 */
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { collect, runCli, spawnCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  appliedOrder,
  expectedOrder,
  loadRows,
  makeRows,
  simTotals,
  until,
  waitApplied,
  writeJobFile,
} from '../helpers/replay-fixture.js';

const PARTS = 4;
const TOTAL = 20_000;
let db: TestDatabase;
let sim: SimServer;
let expected: Map<number, string[]>;

beforeAll(async () => {
  db = await createTestDatabase('cli');
  await loadRows(db, makeRows(TOTAL, PARTS, 11));
  expected = await expectedOrder(db);
  // Slow enough that a kill lands mid-run: 4 partitions × 2,500 events/s.
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 2500, ring: 2000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

describe('ceptra-replay run (child process)', () => {
  it('resumes after SIGKILL with every event applied exactly once and in order', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const path = await writeJobFile({
      job: 'killed',
      dbUrl: db.url,
      targetUrl: sim.url,
      flow: '{ batchSize: 250, maxInFlight: 4, parallelPartitions: 4, commitIntervalMs: 100 }',
    });
    for (const fraction of [0.25, 0.6]) {
      const child = spawnCli(['run', '-c', path, '--no-progress']);
      const done = collect(child);
      await until(async () => (await simTotals(sim.url)).applied >= TOTAL * fraction);
      child.kill('SIGKILL');
      const r = await done;
      expect(r.signal).toBe('SIGKILL');
    }
    const r = await runCli(['run', '-c', path, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/job killed: done/);
    const totals = await waitApplied(sim.url);
    expect(totals.applied).toBe(TOTAL);
    expect(totals.applied_twice).toBe(0);
    expect(totals.replay_out_of_order).toBe(0);
    // Re-sends after the kills are bounded by what can be in flight: partitions × maxInFlight × batchSize, per kill.
    expect(totals.duplicates_replay_seq).toBeLessThanOrEqual(2 * PARTS * 4 * 250);
    const applied = await appliedOrder(sim.url, PARTS);
    for (const [p, ids] of expected) expect(applied.get(p)).toEqual(ids);
  });

  it('drains, commits and exits 3 on SIGTERM; the next run finishes the job', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const path = await writeJobFile({ job: 'termed', dbUrl: db.url, targetUrl: sim.url });
    const child = spawnCli(['run', '-c', path, '--no-progress']);
    const done = collect(child);
    await until(async () => (await simTotals(sim.url)).applied >= TOTAL * 0.2);
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/interrupted/);
    expect(r.stdout).toMatch(/resumable/);
    const committed = await simTotals(sim.url);
    const again = await runCli(['run', '-c', path, '--no-progress']);
    expect(again.code, again.stderr).toBe(0);
    const totals = await waitApplied(sim.url);
    expect(totals.applied).toBe(TOTAL);
    expect(totals.applied_twice).toBe(0);
    // A graceful stop drained everything in flight: nothing needed re-sending.
    expect(totals.duplicates_replay_seq).toBe(0);
    expect(committed.applied).toBeGreaterThan(0);
  });

  it('exits 3 at the drain deadline when in-flight batches cannot finish, and the next run loses nothing', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const path = await writeJobFile({ job: 'deadline', dbUrl: db.url, targetUrl: sim.url });
    const child = spawnCli(['run', '-c', path, '--no-progress', '--drain-timeout', '1']);
    const done = collect(child);
    await until(async () => (await simTotals(sim.url)).applied >= TOTAL * 0.1);
    // Every request now takes 10 s: the drain cannot finish within the 1 s deadline.
    await fetch(`${sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 10_000 }),
    });
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect(r.code, r.stderr).toBe(3);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.stderr).toMatch(/drain deadline/);
    await fetch(`${sim.url}/sim/faults`, { method: 'DELETE' });
    const again = await runCli(['run', '-c', path, '--no-progress']);
    expect(again.code, again.stderr).toBe(0);
    const totals = await waitApplied(sim.url);
    expect(totals.applied).toBe(TOTAL);
    expect(totals.applied_twice).toBe(0);
  });

  it('rejects bad input with exit 2, naming the field, before sending anything', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const cases: { yaml: string; expect: RegExp }[] = [
      {
        yaml: `job: bad\nwindow: { start: 2025-08-02T00:00:00Z, end: 2025-08-01T00:00:00Z }\nsource: { type: postgres, url: "${db.url}", table: events }\ntarget: { url: "${sim.url}", partitions: 4 }\nstate: { url: "${db.url}" }\n`,
        expect: /window\.end/,
      },
      {
        yaml: `job: bad\nwindow: { start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }\nsource: { type: postgres, url: "${db.url}", table: no_such_table }\ntarget: { url: "${sim.url}", partitions: 4 }\nstate: { url: "${db.url}" }\n`,
        expect: /source\.table/,
      },
      {
        // A malformed URL; an unreachable target is an outage, exit 1 (test/cli/outages.test.ts).
        yaml: `job: bad\nwindow: { start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }\nsource: { type: postgres, url: "${db.url}", table: events }\ntarget: { url: "ftp://127.0.0.1:9", partitions: 4 }\nstate: { url: "${db.url}" }\n`,
        expect: /target\.url/,
      },
      {
        yaml: `job: bad\nwindow: { start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }\nsource: { type: postgres, url: "${db.url}", table: events }\ntarget: { url: "${sim.url}", partitions: 4 }\nflow: { batchsize: 10 }\nstate: { url: "${db.url}" }\n`,
        expect: /flow\.batchsize.*batchSize/,
      },
      {
        yaml: `job: bad\nwindow: { start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }\nsource: { type: postgres, url: "${db.url}", table: events }\ntarget: { url: "${sim.url}", partitions: 3 }\nstate: { url: "${db.url}" }\n`,
        expect: /FNV-1a-64.*guardrails\.routing/s,
      },
    ];
    for (const c of cases) {
      const path = `${(await writeJobFile({ job: 'x', dbUrl: db.url, targetUrl: sim.url })).replace(/job\.yaml$/, '')}bad.yaml`;
      await writeFile(path, c.yaml);
      const r = await runCli(['run', '-c', path, '--no-progress']);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(c.expect);
      expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    }
    expect((await simTotals(sim.url)).applied + (await simTotals(sim.url)).queue_depth).toBe(0);
  });
});
