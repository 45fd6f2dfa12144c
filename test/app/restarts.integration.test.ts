/**
 * The exactly-once holes of issue 9, end to end on real parts (Postgres over a real connection,
 * the emulator over loopback HTTP):
 * - a restart (`--restart`, lost or corrupt state) uses a new replay stream, so the target applies
 *   the new sequence instead of answering it as duplicates of the old one (contract §2);
 * - a partition never spins on OUT_OF_ORDER_SEQUENCE: a target that lost acknowledged events, or
 *   whose bookkeeping differs from the client's, fails the partition within bounded time with a
 *   message naming the stream, the expected and the refused seq.
 */
import { readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/app/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createStateStore } from '../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  appliedOrder,
  type FixtureRow,
  loadRows,
  makeRows,
  resetSim,
  simTotals,
  waitApplied,
  writeJobFile,
} from '../helpers/replay-fixture.js';

const PARTS = 4;
const total = 3000;
let db: TestDatabase;
let sim: SimServer;
const quiet = { logger: silentLogger() } as const;

beforeAll(async () => {
  db = await createTestDatabase('restarts');
  await loadRows(db, makeRows(total, PARTS, 11));
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 1_000_000 });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const reset = (faults?: Record<string, unknown>) => resetSim(sim.url, faults);

/**
 * New rows interleaved with the existing ones (same time range, other seed), stored in their routed
 * partition: a re-run's sequence differs from the first one from early on, not just at its tail.
 */
async function insertRows(tag: string, n: number): Promise<string[]> {
  const rows: FixtureRow[] = makeRows(n, PARTS, tag.length * 7919).map((r, i) => ({
    ...r,
    eventId: `${tag}-${i}`,
    tsNs: r.tsNs + BigInt(i) * 9_000_000n, // ~ the first 2 s of the window, where the fixture rows are
  }));
  await db.query(
    `INSERT INTO events (part_id, event_time, event_id, key, payload)
     SELECT p, 'epoch'::timestamptz + (t::numeric / 1000) * interval '1 microsecond', id, k, pl::jsonb
     FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(p, t, id, k, pl)`,
    [
      rows.map((r) => r.part),
      rows.map((r) => r.tsNs.toString()),
      rows.map((r) => r.eventId),
      rows.map((r) => r.key),
      rows.map((r) => r.payload),
    ],
  );
  return rows.map((r) => r.eventId);
}

async function allIds(): Promise<string[]> {
  const r = await db.query<{ event_id: string }>('SELECT event_id FROM events');
  return r.rows.map((x) => x.event_id);
}

/** Every id of the table applied exactly once, whatever the runs in between did. */
async function expectEveryEventAppliedOnce() {
  const totals = await waitApplied(sim.url);
  const ids = await allIds();
  expect(totals.applied_twice).toBe(0);
  const applied = [...(await appliedOrder(sim.url, PARTS)).values()].flat();
  expect(applied.length).toBe(ids.length);
  expect(new Set(applied)).toEqual(new Set(ids));
}

async function streamsOf(job: string): Promise<string[]> {
  const out: string[] = [];
  for (const [stream] of sim.engine.seq) if (stream.startsWith(`${job}/`)) out.push(stream);
  return out.sort();
}

describe('restarts use a new replay stream (contract §2)', () => {
  it('--restart after rows changed applies every event once', { timeout: 120_000 }, async () => {
    await reset();
    const path = await writeJobFile({ job: 'restart', dbUrl: db.url, targetUrl: sim.url });
    const config = await loadJobConfig(path);
    expect((await runReplay(config, quiet)).outcome).toBe('done');
    expect(await streamsOf('restart')).toEqual([0, 1, 2, 3].map((p) => `restart/${p}/1`));
    const added = await insertRows('added-r', 200);
    const again = await runReplay(config, { ...quiet, restart: true });
    expect(again.outcome, again.error).toBe('done');
    // The new sequence went to new streams; the old rows were absorbed by event-id dedup.
    expect(await streamsOf('restart')).toEqual(
      [0, 1, 2, 3].flatMap((p) => [`restart/${p}/1`, `restart/${p}/2`]),
    );
    expect(again.duplicates).toBe(total);
    await expectEveryEventAppliedOnce();
    await db.query('DELETE FROM events WHERE event_id = ANY($1)', [added]);
  });

  it('a lost state file: the next run asks the target and moves to an unused stream', {
    timeout: 120_000,
  }, async () => {
    await reset();
    const path = await writeJobFile({
      job: 'lost',
      dbUrl: db.url,
      targetUrl: sim.url,
      state: '{ file: state.json }',
    });
    const config = await loadJobConfig(path, { state: { file: join(dirname(path), 'state.json') } });
    expect((await runReplay(config, quiet)).outcome).toBe('done');
    for (const f of await readdir(dirname(path)))
      if (f.startsWith('state.json')) await rm(join(dirname(path), f));
    const added = await insertRows('added-l', 150);
    const again = await runReplay(config, quiet);
    expect(again.outcome, again.error).toBe('done');
    expect((await streamsOf('lost')).filter((s) => s.endsWith('/2'))).toHaveLength(PARTS);
    await expectEveryEventAppliedOnce();
    await db.query('DELETE FROM events WHERE event_id = ANY($1)', [added]);
  });

  it('a corrupt state file is refused naming --restart; --restart moves it aside and replays', {
    timeout: 120_000,
  }, async () => {
    await reset();
    const path = await writeJobFile({
      job: 'corrupt',
      dbUrl: db.url,
      targetUrl: sim.url,
      state: '{ file: state.json }',
    });
    const stateFile = join(dirname(path), 'state.json');
    const config = await loadJobConfig(path, { state: { file: stateFile } });
    expect((await runReplay(config, quiet)).outcome).toBe('done');
    await writeFile(stateFile, '{"format":"ceptra-replay-state","version":1,"jobs":{"corrupt":');
    await expect(runReplay(config, quiet)).rejects.toThrow(/corrupt.*--restart/s);
    const added = await insertRows('added-c', 100);
    const again = await runReplay(config, { ...quiet, restart: true });
    expect(again.outcome, again.error).toBe('done');
    expect((await readdir(dirname(path))).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
    await expectEveryEventAppliedOnce();
    await db.query('DELETE FROM events WHERE event_id = ANY($1)', [added]);
  });
});

describe('OUT_OF_ORDER_SEQUENCE never makes a partition spin', () => {
  it('a target that lost acknowledged events (restored from a backup) fails the partition naming the seqs', {
    timeout: 120_000,
  }, async () => {
    await reset();
    const path = await writeJobFile({ job: 'backup', dbUrl: db.url, targetUrl: sim.url });
    const config = await loadJobConfig(path);
    const stop = new AbortController();
    // Stopped early (a fifth of the events): partitions with events left and a cursor past seq 1.
    const timer = setInterval(async () => {
      if ((await simTotals(sim.url).catch(() => ({ applied: 0 }))).applied >= total / 5) stop.abort();
    }, 5);
    const first = await runReplay(config, { ...quiet, stop: stop.signal });
    clearInterval(timer);
    expect(first.outcome).toBe('interrupted');
    const rows = await db.query<{ part_id: number; n: number }>(
      'SELECT part_id, count(*)::int AS n FROM events GROUP BY part_id',
    );
    const store = createStateStore(config.state);
    await store.init();
    const cursors = await store.load('backup');
    await store.close();
    const open = rows.rows.filter((r) => {
      const c = cursors.get(r.part_id);
      return c !== undefined && !c.done && c.seq >= 2n && Number(c.acked) < r.n;
    });
    expect(open.length, 'a partition interrupted with events left').toBeGreaterThan(0);
    // The target "restored from a backup": those streams back to seq 1.
    for (const { part_id } of open) {
      const stream = `backup/${part_id}/1`;
      const r = await fetch(`${sim.url}/sim/streams/${encodeURIComponent(stream)}`, {
        method: 'PUT',
        body: JSON.stringify({ last_seq: 1 }),
      });
      expect(r.status).toBe(200);
    }
    const requestsBefore = (await simTotals(sim.url)).committed;
    const t0 = Date.now();
    const second = await runReplay(config, quiet);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(second.outcome).toBe('failed');
    expect(second.error).toMatch(
      /replay stream backup\/\d\/1: CEPtra expects seq 2 and refused seq \d+, but this job's committed cursor is at seq \d+/,
    );
    expect(second.error).toMatch(/--restart/);
    // Nothing was applied in between: the gap was never papered over.
    expect((await simTotals(sim.url)).committed).toBe(requestsBefore);
  });

  it('a target whose refusals do not consume their seq fails the partition within bounded time', {
    timeout: 120_000,
  }, async () => {
    // One event refused permanently; the target (against contract §2) keeps `last` before it, so
    // the next seq is refused OUT_OF_ORDER_SEQUENCE for ever. Before the fix: ~50 re-sends a second.
    const victim = (
      await db.query<{ event_id: string }>('SELECT event_id FROM events ORDER BY event_id LIMIT 1 OFFSET 500')
    ).rows[0]!.event_id;
    await reset({ rejectPattern: `^${victim}$`, rejectReason: 'PERMANENT_SCHEMA', refusalKeepsSeq: true });
    const path = await writeJobFile({ job: 'keepsseq', dbUrl: db.url, targetUrl: sim.url });
    const t0 = Date.now();
    const summary = await runReplay(await loadJobConfig(path), quiet);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(summary.outcome).toBe('failed');
    expect(summary.error).toMatch(
      /replay stream keepsseq\/\d\/1: CEPtra expects seq (\d+) but refused seq \d+ OUT_OF_ORDER_SEQUENCE again after a re-send from the cursor/,
    );
    const stats = (await (await fetch(`${sim.url}/sim/stats`)).json()) as {
      totals: { transient: Record<string, number> };
    };
    // A handful of refusals (the first answer, the resync re-send), not a spin.
    expect(stats.totals.transient.OUT_OF_ORDER_SEQUENCE ?? 0).toBeLessThan(50);
  });
});
