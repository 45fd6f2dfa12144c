/**
 * `verify`, `run --verify` and gap replay end to end: real Postgres, the emulator in process.
 * The emulator is told to lose or double-apply chosen events; verify must name exactly the panes
 * that hold them, and a replay of only those windows must make the target identical again.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyReplay, windowsFromFile } from '../../src/app/index.js';
import { runJob } from '../../src/cli/run.js';
import { partitionForKey } from '../../src/common/fnv.js';
import { silentLogger } from '../../src/common/logger.js';
import { type JobConfigOverrides, loadJobConfig } from '../../src/config/index.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { type FixtureRow, loadRows, makeRows, waitApplied, writeJobFile } from '../helpers/replay-fixture.js';

const PARTS = 4;
const PANE_NS = 250_000_000n;
const VERIFY = `verify:
  paneSize: 250ms
  metrics:
    - { name: amount_sum, kind: sum, field: $.amount }`;
let db: TestDatabase;
let sim: SimServer;
let rows: FixtureRow[];
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase('verify_cli');
  rows = makeRows(4000, PARTS, 11);
  await loadRows(db, rows);
  // A gap replay goes back in time: a wide lateness allowance keeps its events from being late.
  sim = await startSim({
    port: 0,
    partitions: PARTS,
    applyRate: 1_000_000,
    latenessMs: 86_400_000,
    verifyMetrics: [{ name: 'amount_sum', kind: 'sum', field: '$.amount' }],
  });
  dir = await mkdtemp(join(tmpdir(), 'cr-verify-'));
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

async function reset(faults: Record<string, unknown> = {}) {
  await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
  await fetch(`${sim.url}/v1/config`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      lateness_allowance_ms: 86_400_000,
      verify_metrics: [{ name: 'amount_sum', kind: 'sum', field: '$.amount' }],
    }),
  });
  await fetch(`${sim.url}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
}

async function jobFile(job: string, workers = 0, batchSize = 500): Promise<string> {
  return writeJobFile({
    job,
    dbUrl: db.url,
    targetUrl: sim.url,
    extra: `workers: ${workers}\n${VERIFY}`,
    flow: `{ batchSize: ${batchSize}, maxInFlight: 3, parallelPartitions: 4, commitIntervalMs: 50 }`,
  });
}

async function run(path: string, overrides: JobConfigOverrides = {}) {
  const s = await runJob(await loadJobConfig(path, overrides), { progress: false, logger: silentLogger() });
  expect(s.outcome).toBe('done');
  await waitApplied(sim.url);
  return s;
}

async function verify(path: string, extra: Parameters<typeof verifyReplay>[1] = {}, overrides = {}) {
  return verifyReplay(await loadJobConfig(path, overrides), { logger: silentLogger(), ...extra });
}

/** (partition, pane) of the rows whose index matches, with how many fall in each. */
function panesOf(match: (i: number) => boolean): Map<string, number> {
  const out = new Map<string, number>();
  rows.forEach((r, i) => {
    if (!match(i)) return;
    const k = `${r.part}/${r.tsNs / PANE_NS}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  });
  return out;
}

const DROPPED = new Set([150, 151, 1700, 3333]);
const dropPattern = `-(${[...DROPPED].join('|')})$`;

describe('verify', () => {
  it('is identical after a clean run, with 0 and 2 workers and different batch sizes', async () => {
    const seen: string[] = [];
    for (const [workers, batch] of [
      [0, 1000],
      [2, 37],
    ] as const) {
      await reset();
      const path = await jobFile(`clean-${workers}-${batch}`, workers, batch);
      await run(path);
      const v = await verify(path);
      expect(v.exitCode).toBe(0);
      expect(v.report.ok).toBe(true);
      expect(v.report.reread).toEqual([]);
      expect(v.report.stored).toEqual([0, 1, 2, 3]);
      expect(v.report.metrics).toEqual(['amount_sum', 'ingest_events_total', 'ingest_payload_bytes']);
      expect(v.report.compared).toBeGreaterThan(3 * PARTS);
      expect(v.report.identical).toBe(v.report.compared);
      seen.push(`${v.report.compared}/${v.report.identical}`);
    }
    expect(seen[1]).toBe(seen[0]);
  });

  it('names exactly the panes holding events the target lost, and writes the gap windows', async () => {
    await reset({ dropApplyPattern: dropPattern });
    const path = await jobFile('lossy', 2, 300);
    await run(path);
    const json = join(dir, 'lossy.json');
    const yaml = join(dir, 'lossy-gap.yaml');
    const v = await verify(path, { json, windowsOut: yaml });
    expect(v.exitCode).toBe(4);
    const expected = panesOf((i) => DROPPED.has(i));
    const named = new Map<string, number>();
    for (const d of v.report.divergent) {
      if (d.metric !== 'ingest_events_total') continue;
      named.set(`${d.partition}/${d.pane}`, Number(d.source) - Number(d.target));
    }
    for (const k of v.report.missingInTarget)
      if (k.metric === 'ingest_events_total') named.set(`${k.partition}/${k.pane}`, -1);
    expect(new Map([...named].map(([k, n]) => [k, n === -1 ? expected.get(k) : n]))).toEqual(expected);
    // Every metric diverges on those panes and nowhere else.
    const allKeys = new Set(
      [...v.report.divergent, ...v.report.missingInTarget].map((d) => `${d.partition}/${d.pane}`),
    );
    expect(allKeys).toEqual(new Set(expected.keys()));
    expect(v.suggestedJob).toBe('lossy-gap-1');

    const doc = JSON.parse(await readFile(json, 'utf8'));
    expect(doc.result).toBe('divergent');
    expect(doc.suggestedJob).toBe('lossy-gap-1');
    const panes = new Set([...expected.keys()].map((k) => BigInt(k.split('/')[1]!)));
    expect(doc.gapWindows.length).toBeGreaterThan(0);
    for (const w of doc.gapWindows as { startNs: string; endNs: string }[]) {
      for (let p = BigInt(w.startNs) / PANE_NS; p < BigInt(w.endNs) / PANE_NS; p++)
        expect(panes.has(p)).toBe(true);
    }
    const yamlText = await readFile(yaml, 'utf8');
    expect(yamlText).toContain('job: lossy-gap-1');
    expect(yamlText).toContain(`- { start: ${doc.gapWindows[0].start}, end: ${doc.gapWindows[0].end} }`);

    const overrides = await windowsFromFile(json, {}, silentLogger());
    expect(overrides.job).toBe('lossy-gap-1');
    expect(overrides.windows).toEqual(
      doc.gapWindows.map((w: { start: string; end: string }) => ({ start: w.start, end: w.end })),
    );

    // Replay only those windows as the suggested new job: the lost events land, the ones the target
    // already applied there are absorbed by its event-id dedup, and verify is identical again.
    await fetch(`${sim.url}/sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dropApplyPattern: null }),
    });
    const before = (await (await fetch(`${sim.url}/sim/stats`)).json()) as { totals: { applied: number } };
    const gap = await run(path, overrides);
    expect(gap.outcome).toBe('done');
    const after = (await (await fetch(`${sim.url}/sim/stats`)).json()) as {
      totals: { applied: number; applied_twice: number; duplicates_event_id: number };
    };
    expect(after.totals.applied - before.totals.applied).toBe(DROPPED.size);
    expect(after.totals.applied_twice).toBe(0);
    expect(after.totals.duplicates_event_id).toBeGreaterThan(0);
    expect((await verify(path)).exitCode).toBe(0);
  });

  it('a gap replay of only the divergent windows lands the missing events; the applied ones are absorbed', async () => {
    await reset();
    const path = await jobFile('late', 0, 500);
    await run(path, { verify: { enabled: false } });
    // Rows committed to the source after the replay (what guardrails.safetyLag is about).
    const late = [
      { key: 'user-1', tsNs: rows[100]!.tsNs + 3000n, id: 'late-a' },
      { key: 'user-2', tsNs: rows[2500]!.tsNs, id: 'late-b' },
      { key: 'user-3', tsNs: rows[3999]!.tsNs - 7000n, id: 'late-c' },
    ].map((r) => ({
      ...r,
      part: partitionForKey(r.key, PARTS),
      payload: JSON.stringify({ user: r.key, amount: 1.5 }),
    }));
    await db.query(
      `INSERT INTO events (part_id, event_time, event_id, key, payload)
       SELECT p, 'epoch'::timestamptz + (t::numeric / 1000) * interval '1 microsecond', id, k, pl::jsonb
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(p, t, id, k, pl)`,
      [
        late.map((r) => r.part),
        late.map((r) => r.tsNs.toString()),
        late.map((r) => r.id),
        late.map((r) => r.key),
        late.map((r) => r.payload),
      ],
    );
    try {
      const json = join(dir, 'late.json');
      const v = await verify(path, { json }, { verify: { enabled: false } });
      expect(v.exitCode).toBe(4);
      expect(v.report.reread).toEqual([0, 1, 2, 3]);
      const expected = new Set(late.map((r) => `${r.part}/${r.tsNs / PANE_NS}`));
      expect(
        new Set([...v.report.divergent, ...v.report.missingInTarget].map((d) => `${d.partition}/${d.pane}`)),
      ).toEqual(expected);
      const before = (await (await fetch(`${sim.url}/sim/stats`)).json()) as { totals: { applied: number } };
      const overrides = await windowsFromFile(json, {}, silentLogger());
      expect(overrides.job).toBe('late-gap-1');
      const gap = await run(path, overrides);
      const after = (await (await fetch(`${sim.url}/sim/stats`)).json()) as {
        totals: { applied: number; applied_twice: number };
      };
      expect(after.totals.applied - before.totals.applied).toBe(late.length);
      expect(after.totals.applied_twice).toBe(0);
      expect(gap.events).toBeGreaterThan(late.length); // the gap windows' applied events were sent too
      expect((await verify(path, {}, { verify: { enabled: false } })).exitCode).toBe(0);
      expect((await verify(path, {}, overrides)).exitCode).toBe(0);
    } finally {
      await db.query(`DELETE FROM events WHERE event_id LIKE 'late-%'`);
    }
  });

  it('names exactly the panes holding events the target applied twice', async () => {
    const twice = new Set([7, 2222]);
    await reset({ duplicateApplyPattern: `-(${[...twice].join('|')})$` });
    const path = await jobFile('doubled', 0, 250);
    await run(path);
    const v = await verify(path);
    expect(v.exitCode).toBe(4);
    const expected = panesOf((i) => twice.has(i));
    const counts = new Map(
      v.report.divergent
        .filter((d) => d.metric === 'ingest_events_total')
        .map((d) => [`${d.partition}/${d.pane}`, Number(d.target) - Number(d.source)]),
    );
    expect(counts).toEqual(expected);
    expect(v.report.missingInTarget).toEqual([]);
    expect(new Set(v.report.divergent.map((d) => d.metric))).toEqual(
      new Set(['amount_sum', 'ingest_events_total', 'ingest_payload_bytes']),
    );
  });

  it('gives the same answer later from a new process without reading the source, and re-reads an incomplete fold', async () => {
    await reset({ dropApplyPattern: dropPattern });
    const path = await jobFile('later', 0, 400);
    await run(path);
    const first = await verify(path, { json: join(dir, 'first.json') });
    expect(first.exitCode).toBe(4);
    // The source table is gone: only the stored fold can answer.
    await db.query('ALTER TABLE events RENAME TO events_away');
    try {
      const out = join(dir, 'later.json');
      const code = await new Promise<number>((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', 'src/cli/main.ts', 'verify', '--config', path, '--json', out],
          { timeout: 60_000 },
          (err) => resolve(err ? ((err as { code?: number }).code ?? 1) : 0),
        );
      });
      expect(code).toBe(4);
      const later = JSON.parse(await readFile(out, 'utf8'));
      const early = JSON.parse(await readFile(join(dir, 'first.json'), 'utf8'));
      expect(later.rereadPartitions).toEqual([]);
      expect(later.divergent).toEqual(early.divergent);
      expect(later.missingInTarget).toEqual(early.missingInTarget);
      expect(later.gapWindows).toEqual(early.gapWindows);
    } finally {
      await db.query('ALTER TABLE events_away RENAME TO events');
    }
    // Partition 1's stored fold is marked incomplete (as after a crash): it is re-read, same answer.
    await db.query(
      `UPDATE ceptra_replay.source_fold_status SET complete = false WHERE job = 'later' AND partition = 1`,
    );
    const reread = await verify(path);
    expect(reread.report.reread).toEqual([1]);
    expect(reread.report.rereadEvents).toBe(rows.filter((r) => r.part === 1).length);
    expect(reread.report.divergent).toEqual(first.report.divergent);
    expect(reread.report.missingInTarget).toEqual(first.report.missingInTarget);
    // The re-read fold of a finished partition is kept: the next verify reads nothing.
    expect((await verify(path)).report.reread).toEqual([]);
  });
});
