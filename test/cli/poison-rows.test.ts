/**
 * Issue 9, item 3 ("one poison row must not block the job"), as an operator runs it: a table with
 * a NULL-key row (stored where the old check read its key as `""` and called it misrouted), a
 * NULL-id row and an empty-id row among valid rows, one of them with the valid empty key.
 * `plan` exits 0 and reports the poison rows; `run` exits 0, applies every valid row exactly once
 * and in order, and leaves the poison rows in dead letters with their reasons.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../src/common/fnv.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import {
  appliedOrder,
  loadRows,
  makeRows,
  simTotals,
  waitApplied,
  writeJobFile,
} from '../helpers/replay-fixture.js';

const PARTS = 4;
const GOOD = 600;
const EMPTY_KEY_PART = partitionForKey('', PARTS);
const NOT_EMPTY_KEY_PART = (EMPTY_KEY_PART + 1) % PARTS;
let db: TestDatabase;
let sim: SimServer;
let dir: string;
let jobFile: string;

beforeAll(async () => {
  db = await createTestDatabase('cli_poison_rows');
  await loadRows(db, makeRows(GOOD, PARTS, 9));
  await db.query('ALTER TABLE events ALTER COLUMN key DROP NOT NULL, ALTER COLUMN event_id DROP NOT NULL');
  const at = (s: number) => `'2025-08-01T00:00:${String(s).padStart(2, '0')}Z'::timestamptz`;
  await db.query(
    `INSERT INTO events (part_id, event_time, event_id, key, payload) VALUES
       (${NOT_EMPTY_KEY_PART}, ${at(1)}, '999999991', NULL, '{"poison":"null key"}'),
       (2, ${at(2)}, NULL, 'user-7', '{"poison":"null id"}'),
       (${partitionForKey('user-8', PARTS)}, ${at(3)}, '', 'user-8', '{"poison":"empty id"}'),
       (${EMPTY_KEY_PART}, ${at(4)}, 'empty-key', '', '{"valid":"empty key"}')`,
  );
  await db.query('ANALYZE events');
  sim = await startSim({ port: 0, partitions: PARTS, applyRate: 1_000_000 });
  dir = await mkdtemp(join(tmpdir(), 'cr-poison-rows-'));
  jobFile = await writeJobFile({ job: 'poison-rows', dbUrl: db.url, targetUrl: sim.url });
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

/** The rows that are events, in apply order per partition. */
async function expectedValid(): Promise<Map<number, string[]>> {
  const r = await db.query<{ part_id: number; ids: string[] }>(
    `SELECT part_id, array_agg(event_id ORDER BY event_time, event_id) AS ids FROM events
      WHERE event_id IS NOT NULL AND event_id <> '' AND key IS NOT NULL GROUP BY part_id`,
  );
  return new Map(r.rows.map((x) => [x.part_id, x.ids]));
}

describe('poison rows do not block the job', () => {
  it('plan exits 0, prints the poison note and writes the poison field', async () => {
    const out = join(dir, 'plan.json');
    const r = await runCli(['plan', '-c', jobFile, '--json', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /note: routing: 601 rows checked, 0 outside CEPtra routing.*3 poison rows not checked/,
    );
    expect(r.stdout).toMatch(
      /note: poison: 3 of 604 rows cannot be sent \(EMPTY_EVENT_ID 1, NULL_EVENT_ID 1, NULL_KEY 1\)/,
    );
    expect(r.stdout).toContain(`NULL_KEY (event 999999991, partition ${NOT_EMPTY_KEY_PART})`);
    expect(r.stdout).toContain('EMPTY_EVENT_ID (event "", partition');
    expect(r.stdout).not.toMatch(/^warning:/m);
    const plan = JSON.parse(await readFile(out, 'utf8'));
    expect(plan.poison).toMatchObject({
      checked: 604,
      sampled: false,
      total: 3,
      byReason: { NULL_KEY: 1, NULL_EVENT_ID: 1, EMPTY_EVENT_ID: 1 },
    });
    expect(plan.poison.examples).toContainEqual({
      reason: 'NULL_KEY',
      partition: NOT_EMPTY_KEY_PART,
      eventId: '999999991',
    });
  });

  it('run exits 0: valid rows applied once and in order (the "" key too), poison rows dead-lettered', async () => {
    await fetch(`${sim.url}/sim/reset`, { method: 'POST' });
    const r = await runCli(['run', '-c', jobFile, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    const totals = await waitApplied(sim.url);
    expect(totals.applied).toBe(GOOD + 1);
    expect(totals.applied_twice).toBe(0);
    expect(totals.replay_out_of_order).toBe(0);
    const applied = await appliedOrder(sim.url, PARTS);
    const expected = await expectedValid();
    expect(expected.get(EMPTY_KEY_PART)).toContain('empty-key');
    expect(new Map([...applied].sort(([a], [b]) => a - b))).toEqual(
      new Map([...expected].sort(([a], [b]) => a - b)),
    );
    expect((await simTotals(sim.url)).applied).toBe(GOOD + 1);

    const l = await runCli(['dead-letters', 'list', '-c', jobFile, '--json']);
    expect(l.code, l.stderr).toBe(0);
    const letters = JSON.parse(l.stdout) as {
      reason: string;
      eventId: string | null;
      partition: number;
      raw: Record<string, string | null>;
    }[];
    expect(letters.map((d) => d.reason).sort()).toEqual(['EMPTY_EVENT_ID', 'NULL_EVENT_ID', 'NULL_KEY']);
    const by = new Map(letters.map((d) => [d.reason, d]));
    expect(by.get('NULL_KEY')).toMatchObject({ eventId: '999999991', partition: NOT_EMPTY_KEY_PART });
    expect(by.get('EMPTY_EVENT_ID')).toMatchObject({ eventId: null, raw: { event_id: '', key: 'user-8' } });
    expect(by.get('NULL_EVENT_ID')).toMatchObject({ eventId: null, partition: 2, raw: { event_id: null } });
  });
});
