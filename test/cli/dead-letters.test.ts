/**
 * `ceptra-replay dead-letters list|export|retry` as an operator runs it (a child process), against
 * a real Postgres state store and the emulator. The target refuses an event permanently the first
 * time (fault `rejectPattern`); after the fault is cleared, `retry` lands it exactly once, and a
 * second retry does not apply it again (event-id dedup).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSink, portsConfig } from '../../src/app/index.js';
import { silentLogger } from '../../src/common/logger.js';
import { loadJobConfig } from '../../src/config/index.js';
import type { StoredDeadLetter } from '../../src/engine/cursor.js';
import { eventsToDeadLetters, poisonRowsToDeadLetters } from '../../src/engine/poison.js';
import { type SimServer, startSim } from '../../src/sim/index.js';
import type { SourceEvent } from '../../src/sources/source.js';
import { PgStateStore } from '../../src/stores/index.js';
import { type CliResult, runCli } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

/** The real CLI (`src/cli/main.ts`) as a child process. */
function cli(args: string[]): Promise<CliResult> {
  return runCli(args);
}

let db: TestDatabase;
let sim: SimServer;
let dir: string;
let jobFile: string;
const JOB = 'dl-cli';
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

beforeAll(async () => {
  db = await createTestDatabase('dead_letters_cli');
  sim = await startSim({ port: 0, partitions: 4 });
  dir = await mkdtemp(join(tmpdir(), 'cr-dl-cli-'));
  jobFile = join(dir, 'job.yaml');
  await writeFile(
    jobFile,
    `job: ${JOB}
window: { start: 2025-01-01T00:00:00Z, end: 2025-01-02T00:00:00Z }
source: { type: postgres, url: '${db.url}', table: events }
target: { url: '${sim.url}', partitions: 4 }
state: { url: '${db.url}' }
guardrails: { onPoison: dead-letter, maxDeadLetters: 10 }
`,
  );
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

async function simJson<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(`${sim.url}${path}`, init);
  return (await r.json()) as T;
}

async function appliedIds(): Promise<string[]> {
  const ids: string[] = [];
  for (let p = 0; p < 4; p++) {
    const text = await (await fetch(`${sim.url}/sim/applied?partition=${p}`)).text();
    for (const l of text.split('\n').filter(Boolean)) ids.push(JSON.parse(l).event_id);
  }
  return ids;
}

async function settle(): Promise<{ applied: number; queue_depth: number; duplicates_event_id: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await simJson<{
      totals: { applied: number; queue_depth: number; duplicates_event_id: number };
    }>('/sim/stats');
    if (s.totals.queue_depth === 0 || Date.now() > deadline) return s.totals;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const event = (id: string, tsNs: bigint): SourceEvent => ({
  tsNs,
  eventId: id,
  key: Buffer.from(`tenant-${id}`),
  payload: Buffer.from(JSON.stringify({ id, n: 1 })),
  schemaKey: 's:1',
});

describe('ceptra-replay dead-letters', () => {
  let refused: SourceEvent;
  let ids: Record<string, number>;

  it('setup: the target refuses an event permanently; it and two poison records become dead letters', async () => {
    await simJson('/sim/faults', { method: 'POST', body: JSON.stringify({ rejectPattern: '^poison-1$' }) });
    const config = await loadJobConfig(jobFile);
    const sink = await openSink(portsConfig(config), silentLogger());
    refused = event('poison-1', nowNs() - 1_000_000_000n);
    const ack = await sink.send({ partition: 2, events: [refused] });
    await sink.close();
    expect(ack.rejected).toEqual([{ index: 0, eventId: 'poison-1', reason: 'PERMANENT_SCHEMA' }]);
    await simJson('/sim/faults', { method: 'DELETE' });

    const store = new PgStateStore({ url: db.url });
    await store.init();
    await store.putDeadLetters(JOB, [
      ...eventsToDeadLetters(JOB, 2, [{ event: refused, reason: 'PERMANENT_SCHEMA' }]),
      ...poisonRowsToDeadLetters(JOB, [
        {
          reason: 'NULL_EVENT_ID',
          eventId: null,
          tsNs: 1_735_689_600_000_000_000n,
          partition: 1,
          raw: { event_time: '2025-01-01 00:00:00+00', event_id: null, key: 'k', payload: '{}' },
          position: 0,
          key: Buffer.from('k'),
          payload: Buffer.from('{}'),
        },
      ]),
      ...eventsToDeadLetters(JOB, 3, [
        { event: event('skewed', nowNs() + 3_600_000_000_000n), reason: 'FUTURE_SKEW' },
      ]),
    ]);
    ids = Object.fromEntries(
      (await store.listDeadLetters(JOB, { limit: 10 })).map((d) => [d.eventId ?? 'null', d.id]),
    );
    await store.close();
    expect(Object.keys(ids).sort()).toEqual(['null', 'poison-1', 'skewed']);
    expect((await settle()).applied).toBe(0);
  });

  it('list: a table with id, partition, event id, time, reason, created; filters; --json', async () => {
    const t = await cli(['dead-letters', 'list', '--config', jobFile]);
    expect(t.code).toBe(0);
    const lines = t.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+partition\s+event id\s+time\s+reason\s+created/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      [String(ids['poison-1']), '2'],
      [String(ids.null), '1'],
      [String(ids.skewed), '3'],
    ]);
    expect(t.stdout).toMatch(/\(null\)\s+2025-01-01T00:00:00Z\s+NULL_EVENT_ID/);
    expect(t.stdout).toMatch(/3 shown, 3 dead letter\(s\) in job dl-cli/);

    const f = await cli(['dead-letters', 'list', '-c', jobFile, '--reason', 'NULL_EVENT_ID', '--json']);
    expect(f.code).toBe(0);
    const rows = JSON.parse(f.stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      eventId: null,
      reason: 'NULL_EVENT_ID',
      partition: 1,
      raw: { event_id: null },
    });

    const p = await cli(['dead-letters', 'list', '-c', jobFile, '--partition', '3', '--json']);
    expect(JSON.parse(p.stdout).map((r: { eventId: string }) => r.eventId)).toEqual(['skewed']);

    const bad = await cli(['dead-letters', 'list', '-c', jobFile, '--limit', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--limit: must be an integer/);
  });

  it('export: NDJSON with base64 key/payload and the raw row', async () => {
    const out = join(dir, 'dl.ndjson');
    const r = await cli(['dead-letters', 'export', '-c', jobFile, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/exported 3 dead letter\(s\)/);
    const rows = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.eventId)).toEqual(['poison-1', null, 'skewed']);
    expect(Buffer.from(rows[0].payloadB64, 'base64').equals(refused.payload)).toBe(true);
    expect(Buffer.from(rows[0].keyB64, 'base64').toString()).toBe('tenant-poison-1');
    expect(rows[0]).toMatchObject({
      tsNs: refused.tsNs.toString(),
      reason: 'PERMANENT_SCHEMA',
      schemaKey: 's:1',
    });
    expect(rows[1].raw).toEqual({
      event_time: '2025-01-01 00:00:00+00',
      event_id: null,
      key: 'k',
      payload: '{}',
    });
  });

  it('retry: the refused event lands exactly once; a second retry does not apply it again', async () => {
    const first = await cli(['dead-letters', 'retry', '-c', jobFile, '--reason', 'PERMANENT_SCHEMA']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/1 selected, 1 sent, 0 refused/);
    let stats = await settle();
    expect(stats.applied).toBe(1);
    expect(await appliedIds()).toEqual(['poison-1']);

    // No filter: the sent one is skipped, the NULL-id row cannot be sent, the skewed one is
    // refused again by the client check (never reaches the target). Not all sent: exit 1.
    const second = await cli(['dead-letters', 'retry', '-c', jobFile]);
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(
      /3 selected, 0 sent, 1 refused \(FUTURE_SKEW=1\), 1 cannot be sent .*, 1 already sent/,
    );

    // Named explicitly, it is sent again: the target absorbs it as a duplicate.
    const again = await cli(['dead-letters', 'retry', '-c', jobFile, '--ids', String(ids['poison-1'])]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/1 selected, 1 sent/);
    stats = await settle();
    expect(stats.applied).toBe(1);
    expect(stats.duplicates_event_id).toBeGreaterThanOrEqual(1);
    expect(await appliedIds()).toEqual(['poison-1']);

    const list = JSON.parse((await cli(['dead-letters', 'list', '-c', jobFile, '--json'])).stdout) as (Omit<
      StoredDeadLetter,
      'retryOutcome'
    > & { retryOutcome: string | null; retriedAt: string | null })[];
    expect(list.map((d) => [d.eventId, d.retryOutcome])).toEqual([
      ['poison-1', 'sent'],
      [null, null],
      ['skewed', 'FUTURE_SKEW'],
    ]);
    expect(list[0]!.retriedAt).not.toBeNull();
  });

  it('retry --ids rejects a malformed list (exit 2, nothing sent)', async () => {
    const r = await cli(['dead-letters', 'retry', '-c', jobFile, '--ids', '1,x']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ids: expected dead-letter ids/);
  });
});
