/**
 * The guarantee, end to end on real parts (Postgres over a real connection, the emulator over
 * loopback HTTP): per partition, every event in the window is applied exactly once and in
 * (event_time, event_id) order, across throttles, retries, stops and restarts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Replay, runReplay } from '../../src/app/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { PartitionState } from '../../src/engine/types.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  appliedOrder,
  expectedOrder,
  loadRows,
  makeRows,
  resetSim,
  simTotals,
  waitApplied,
  writeJobFile,
} from '../helpers/replay-fixture.js';

const PARTS = 4;
let db: TestDatabase;
let sim: SimServer;
let expected: Map<number, string[]>;
const total = 6000;

beforeAll(async () => {
  db = await createTestDatabase('replay');
  await loadRows(db, makeRows(total, PARTS, 7));
  expected = await expectedOrder(db);
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 1_000_000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const reset = (faults?: Record<string, unknown>) => resetSim(sim.url, faults);

async function expectExactlyOnceInOrder() {
  const totals = await waitApplied(sim.url);
  expect(totals.applied_twice).toBe(0);
  expect(totals.replay_out_of_order).toBe(0);
  expect(totals.late_dropped).toBe(0);
  expect(totals.applied).toBe(total);
  const applied = await appliedOrder(sim.url, PARTS);
  expect(new Set(applied.keys())).toEqual(new Set(expected.keys()));
  for (const [p, ids] of expected) expect(applied.get(p)).toEqual(ids);
}

describe('run: exactly once, in order', () => {
  it('replays a clean run, many equal timestamps included', async () => {
    await reset();
    const path = await writeJobFile({ job: 'clean', dbUrl: db.url, targetUrl: sim.url });
    const summary = await runReplay(await loadJobConfig(path), { logger: silentLogger() });
    expect(summary.outcome).toBe('done');
    expect(summary.events).toBe(total);
    // A stream's pipelined requests share one ordered connection: nothing overtakes, nothing re-sent.
    expect(summary.resent).toBe(0);
    expect(summary.retries).toEqual({});
    await expectExactlyOnceInOrder();
  });

  it('survives throttles, 429/503, dropped connections and latency with nothing lost or doubled', async () => {
    await reset({
      transientProbability: 0.15,
      http429Probability: 0.05,
      http503Probability: 0.05,
      retryAfterMs: 20,
      dropProbability: 0.05,
      latencyMs: [0, 5],
      seed: 42,
    });
    const path = await writeJobFile({ job: 'faults', dbUrl: db.url, targetUrl: sim.url });
    const summary = await runReplay(await loadJobConfig(path), { logger: silentLogger() });
    expect(summary.outcome).toBe('done');
    const stats = (await (await fetch(`${sim.url}/sim/stats`)).json()) as {
      faults_injected: Record<string, number>;
    };
    expect(Object.values(stats.faults_injected).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(Object.values(summary.retries).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    await expectExactlyOnceInOrder();
  });

  it('reconnects after the source connections are terminated mid-stream and still applies exactly once', async () => {
    await reset({ latencyMs: [2, 5], seed: 3 });
    const path = await writeJobFile({
      job: 'terminated',
      dbUrl: db.url,
      targetUrl: sim.url,
      // Small static batches and slow responses keep the readers mid-stream long enough to be killed.
      flow: '{ mode: static, batchSize: 50, maxInFlight: 2, parallelPartitions: 4, commitIntervalMs: 50 }',
      extra: 'workers: 0',
    });
    let kills = 0;
    const config = await loadJobConfig(path, { source: { readMethod: 'cursor', fetchRows: 50 } });
    let lastKill = 0;
    const killer = setInterval(async () => {
      if (kills >= 3 || Date.now() - lastKill < 150) return;
      try {
        // Only readers of the replay itself (the pre-flight checks run before anything is applied).
        if ((await simTotals(sim.url)).applied === 0) return;
        // Cursor readers with small fetches hold their connection mid-stream between fetches.
        const r = await db.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE datname = current_database() AND application_name = 'ceptra-replay' AND pid <> pg_backend_pid()
             AND state <> 'idle' AND query ILIKE '%event_time%'`,
        );
        if ((r.rowCount ?? 0) > 0) {
          kills++;
          lastKill = Date.now();
        }
      } catch {
        // the database is going away at the end of the test
      }
    }, 10);
    const summary = await runReplay(config, { logger: silentLogger() }).finally(() => clearInterval(killer));
    expect(summary.outcome, summary.error).toBe('done');
    expect(kills).toBeGreaterThan(0);
    expect(summary.retries.source_reconnect ?? 0).toBeGreaterThan(0);
    await expectExactlyOnceInOrder();
  });

  it('pauses partitions through a target outage longer than the deadline and resumes by itself', {
    timeout: 120_000,
  }, async () => {
    await reset({ http503Probability: 1, retryAfterMs: 20 });
    const path = await writeJobFile({
      job: 'outage',
      dbUrl: db.url,
      targetUrl: sim.url,
      extra: 'workers: 0',
    });
    const config = await loadJobConfig(path, { target: { outageDeadlineMs: 200 } });
    let replay: Replay | undefined;
    const run = runReplay(config, { logger: silentLogger(), onReplay: (r) => (replay = r) });
    // The outage outlasted the 200 ms deadline once a partition says it is waiting for the target.
    const deadline = Date.now() + 30_000;
    const waiting = () =>
      replay?.snapshot().partitions.some((p) => p.state === PartitionState.WaitingForTarget);
    while (!waiting() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(waiting()).toBe(true);
    expect((await simTotals(sim.url)).applied).toBe(0);
    await fetch(`${sim.url}/sim/faults`, { method: 'DELETE' });
    const cleared = Date.now();
    const summary = await run;
    expect(Date.now() - cleared).toBeLessThan(60_000);
    expect(summary.outcome).toBe('done');
    expect(summary.retries.target_outage ?? 0, JSON.stringify(summary.retries)).toBeGreaterThan(0);
    await expectExactlyOnceInOrder();
  });

  it('any sequence of stop/resume points yields the same applied sequence', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: total - 1 }), { minLength: 1, maxLength: 3 }),
        async (stops) => {
          await reset();
          const job = `resume-${run++}`;
          const path = await writeJobFile({ job, dbUrl: db.url, targetUrl: sim.url });
          const config = await loadJobConfig(path);
          for (const at of [...stops].sort((a, b) => a - b)) {
            const stop = new AbortController();
            const timer = setInterval(async () => {
              if ((await simTotals(sim.url).catch(() => ({ applied: 0 }))).applied >= at) stop.abort();
            }, 5);
            const s = await runReplay(config, { logger: silentLogger(), stop: stop.signal });
            clearInterval(timer);
            expect(['interrupted', 'done']).toContain(s.outcome);
            if (s.outcome === 'done') break;
          }
          const last = await runReplay(config, { logger: silentLogger() });
          expect(last.outcome).toBe('done');
          await expectExactlyOnceInOrder();
        },
      ),
      { numRuns: 4 },
    );
  });

  it('refuses to resume a job whose window changed, naming --restart', async () => {
    await reset();
    const path = await writeJobFile({ job: 'changed', dbUrl: db.url, targetUrl: sim.url });
    const config = await loadJobConfig(path);
    await runReplay(config, { logger: silentLogger() });
    const changed = await loadJobConfig(path, {
      window: { start: '2025-08-01T00:00:00Z', end: '2025-08-01T12:00:00Z' },
    });
    await expect(runReplay(changed, { logger: silentLogger() })).rejects.toThrow(/--restart/);
  });
});
