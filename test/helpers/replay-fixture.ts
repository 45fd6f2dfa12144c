/**
 * End-to-end fixtures: a real events table whose rows are known in JS (so the expected applied
 * sequence per partition is computed independently of the replay), a job config for it, and a
 * ground-truth check against the emulator's `/sim/applied` and `/sim/stats`.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionForKey } from '../../src/common/fnv.js';
import type { TestDatabase } from './pg.js';

export interface FixtureRow {
  part: number;
  tsNs: bigint;
  eventId: string;
  key: string;
  payload: string;
}

const BASE_NS = 1_754_006_400_000_000_000n; // 2025-08-01T00:00:00Z

/** Deterministic rows: keys routed by FNV, runs of equal µs timestamps, JSON payloads. */
export function makeRows(n: number, partitions: number, seed = 1): FixtureRow[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rows: FixtureRow[] = [];
  let tsUs = 0n;
  for (let i = 0; i < n; i++) {
    if (rnd() < 0.6) tsUs += BigInt(1 + Math.floor(rnd() * 2000)); // else: same timestamp as before
    const key = `user-${Math.floor(rnd() * 500)}`;
    rows.push({
      part: partitionForKey(key, partitions),
      tsNs: BASE_NS + tsUs * 1000n,
      eventId: `ev-${Math.floor(rnd() * 1e9).toString(36)}-${i}`,
      key,
      payload: JSON.stringify({ user: key, amount: Math.round(rnd() * 10000) / 100, i }),
    });
  }
  return rows;
}

export async function loadRows(db: TestDatabase, rows: FixtureRow[], table = 'events'): Promise<void> {
  await db.query(
    `CREATE TABLE ${table} (part_id int NOT NULL, event_time timestamptz NOT NULL, event_id text NOT NULL,
       key text NOT NULL, payload jsonb NOT NULL, schema_key text NOT NULL DEFAULT 'test:1')`,
  );
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await db.query(
      `INSERT INTO ${table} (part_id, event_time, event_id, key, payload)
       SELECT p, 'epoch'::timestamptz + (t::numeric / 1000) * interval '1 microsecond', id, k, pl::jsonb
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(p, t, id, k, pl)`,
      [
        chunk.map((r) => r.part),
        chunk.map((r) => r.tsNs.toString()),
        chunk.map((r) => r.eventId),
        chunk.map((r) => r.key),
        chunk.map((r) => r.payload),
      ],
    );
  }
  await db.query(`CREATE INDEX ON ${table} (part_id, event_time, event_id)`);
  await db.query(`ANALYZE ${table}`);
}

/** Expected apply order per partition: (event_time, event_id) with Postgres text collation. */
export async function expectedOrder(db: TestDatabase, table = 'events'): Promise<Map<number, string[]>> {
  const r = await db.query<{ part_id: number; ids: string[] }>(
    `SELECT part_id, array_agg(event_id ORDER BY event_time, event_id) AS ids FROM ${table} GROUP BY part_id`,
  );
  return new Map(r.rows.map((x) => [x.part_id, x.ids]));
}

export interface JobFileOptions {
  job: string;
  dbUrl: string;
  targetUrl: string;
  extra?: string;
  flow?: string;
  /** `state:` mapping (default: the test database). */
  state?: string;
}

export async function writeJobFile(o: JobFileOptions): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cr-job-'));
  const path = join(dir, 'job.yaml');
  await writeFile(
    path,
    `job: ${o.job}
window: { start: 2025-08-01T00:00:00Z, end: 2025-08-02T00:00:00Z }
source: { type: postgres, url: "${o.dbUrl}", table: events, readMethod: copy }
target: { url: "${o.targetUrl}", partitions: 4 }
flow: ${o.flow ?? '{ batchSize: 200, maxInFlight: 4, parallelPartitions: 4, commitIntervalMs: 50 }'}
state: ${o.state ?? `{ url: "${o.dbUrl}" }`}
${o.extra ?? ''}
`,
  );
  return path;
}

/** The emulator's apply log per partition (event ids in apply order). */
export async function appliedOrder(simUrl: string, partitions: number): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  for (let p = 0; p < partitions; p++) {
    const text = await (await fetch(`${simUrl}/sim/applied?partition=${p}`)).text();
    const ids = text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { event_id: string }).event_id);
    if (ids.length) out.set(p, ids);
  }
  return out;
}

export interface SimTotals {
  committed: number;
  applied: number;
  applied_twice: number;
  replay_out_of_order: number;
  duplicates_replay_seq: number;
  duplicates_event_id: number;
  late_dropped: number;
  queue_depth: number;
}

export async function simTotals(simUrl: string): Promise<SimTotals> {
  const s = (await (await fetch(`${simUrl}/sim/stats`)).json()) as { totals: SimTotals };
  return s.totals;
}

/** Waits until the emulator has applied everything it committed. */
export async function waitApplied(simUrl: string, timeoutMs = 20_000): Promise<SimTotals> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await simTotals(simUrl);
    if (t.queue_depth === 0 || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Back to an empty emulator, then the given faults (if any). */
export async function resetSim(simUrl: string, faults?: Record<string, unknown>): Promise<void> {
  await fetch(`${simUrl}/sim/reset`, { method: 'POST' });
  if (!faults) return;
  const r = await fetch(`${simUrl}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (r.status !== 200) throw new Error(`POST /sim/faults answered ${r.status}: ${await r.text()}`);
}

/** Polls `pred` until it holds (throws after `timeoutMs`). */
export async function until(pred: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}
