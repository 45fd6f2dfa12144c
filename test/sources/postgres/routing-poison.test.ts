/**
 * Issue 9 ("one poison row must not block the job"): the routing check screens poison rows out
 * (NULL key/id/payload/schema key, empty id, oversize or undecodable payload) and counts them by
 * reason instead of reporting a NULL key as a misrouted `""`; an empty *key* is a valid key that
 * routes as FNV-1a-64 of no bytes. The decoder reports an empty event id as poison.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/common/fnv.js';
import { ClientPoisonReason, defaultPoisonCheckOptions } from '../../../src/engine/poison.js';
import { defaultPayloadLimit, type PostgresSource } from '../../../src/sources/postgres/index.js';
import type { EventBatch, PoisonRow, SourceEvent } from '../../../src/sources/source.js';
import { adminUrl, createTestDatabase, type TestDatabase, withDatabase } from '../../helpers/pg.js';
import { ALL, source } from './fixtures.js';

const N = 4;
const EMPTY_KEY_PART = partitionForKey('', N); // FNV offset basis mod 4 = 1
const wrong = (key: string) => (partitionForKey(key, N) + 1) % N;

let db: TestDatabase;
const sources: PostgresSource[] = [];
const open = async (table: string, o: Parameters<typeof source>[2] = {}, on = db) => {
  const s = await source(on, table, { ceptraPartitions: N, ...o });
  sources.push(s);
  return s;
};

const GOOD = 40;

beforeAll(async () => {
  db = await createTestDatabase('pgsrc_routing_poison');
  await db.query(
    'CREATE TABLE ev (part int NOT NULL, et timestamptz NOT NULL, id text, k text, payload jsonb, schema text)',
  );
  await db.query('CREATE INDEX ON ev (part, et, id)');
  const good = Array.from({ length: GOOD }, (_, i) => `tenant-${i}`);
  await db.query(
    `INSERT INTO ev SELECT p, '2025-01-01 00:00:01+00', 'g' || o, k, '{"ok":1}', 's:1'
       FROM unnest($1::int[], $2::text[]) WITH ORDINALITY AS u(p, k, o)`,
    [good.map((k) => partitionForKey(k, N)), good],
  );
  // Every poison row sits in a partition that is wrong for its key as the old check read it
  // (NULL as ""), so without the screen each one is a "mismatch" that fails plan and run.
  await db.query(
    `INSERT INTO ev VALUES
      ($1, '2025-01-01 00:00:02+00', '999999991', NULL, '{"x":1}', 's:1'),
      ($2, '2025-01-01 00:00:02+00', NULL, 'k-null-id', '{"x":2}', 's:1'),
      ($3, '2025-01-01 00:00:02+00', '', 'k-empty-id', '{"x":3}', 's:1'),
      ($4, '2025-01-01 00:00:02+00', 'null-schema', 'k-null-schema', '{"x":4}', NULL),
      ($5, '2025-01-01 00:00:02+00', 'null-payload', 'k-null-payload', NULL, 's:1'),
      ($6, '2025-01-01 00:00:02+00', 'too-big', 'k-too-big', jsonb_build_object('blob', repeat('x', $8::int)), 's:1'),
      ($7, '2025-01-01 00:00:03+00', 'empty-key', '', '{"x":5}', 's:1')`,
    [
      wrong(''),
      wrong('k-null-id'),
      wrong('k-empty-id'),
      wrong('k-null-schema'),
      wrong('k-null-payload'),
      wrong('k-too-big'),
      EMPTY_KEY_PART,
      defaultPayloadLimit.bytes + 10,
    ],
  );
  // An empty key stored right and stored wrong: both are checked, only the second mismatches.
  await db.query(
    'CREATE TABLE ek (part int NOT NULL, et timestamptz NOT NULL, id text, k text, payload jsonb, schema text)',
  );
  await db.query('CREATE INDEX ON ek (part, et, id)');
  await db.query(
    `INSERT INTO ek VALUES ($1, '2025-01-01 00:00:01+00', 'right', '', '{}', 's'),
                           ($2, '2025-01-01 00:00:01+00', 'wrong', '', '{}', 's')`,
    [EMPTY_KEY_PART, wrong('')],
  );
});
afterAll(async () => {
  for (const s of sources.splice(0)) await s.close();
  await db?.drop();
});

describe('checkRouting() screens poison rows', () => {
  it('counts them by reason, not as mismatches; the valid rows (and the "" key) are checked', async () => {
    const s = await open('ev');
    const r = await s.checkRouting(ALL);
    expect(r.mismatched).toBe(0);
    expect(r.examples).toEqual([]);
    expect(r.checked).toBe(GOOD + 1); // the empty-key row is a valid, correctly routed row
    expect(r.scanned).toBe(GOOD + 7);
    expect(r.poison).toEqual({
      NULL_KEY: 1,
      NULL_EVENT_ID: 1,
      EMPTY_EVENT_ID: 1,
      NULL_SCHEMA_KEY: 1,
      NULL_PAYLOAD: 1,
      PAYLOAD_TOO_LARGE: 1,
    });
    const byReason = new Map(r.poisonExamples.map((e) => [e.reason, e]));
    expect(byReason.get('NULL_KEY')).toEqual({
      reason: 'NULL_KEY',
      partition: wrong(''),
      eventId: '999999991',
    });
    expect(byReason.get('NULL_EVENT_ID')!.eventId).toBeNull();
    expect(byReason.get('EMPTY_EVENT_ID')!.eventId).toBe('');
    expect(byReason.get('PAYLOAD_TOO_LARGE')!.eventId).toBe('too-big');
  });

  it('an empty key routes as FNV-1a-64 of no bytes', async () => {
    const r = await (await open('ek')).checkRouting(ALL);
    expect(r).toMatchObject({ scanned: 2, checked: 2, mismatched: 1, poison: {} });
    expect(r.examples).toEqual([
      { partition: wrong(''), expected: EMPTY_KEY_PART, eventId: 'wrong', key: '' },
    ]);
  });

  it('bytea keys and payloads with a constant schema key (no schema column)', async () => {
    await db.query(
      'CREATE TABLE bk (part int NOT NULL, et timestamptz NOT NULL, id bigint, k bytea, payload bytea)',
    );
    await db.query('CREATE INDEX ON bk (part, et, id)');
    await db.query(
      `INSERT INTO bk VALUES ($1, '2025-01-01 00:00:01+00', 1, NULL, '\\x01'),
                             ($2, '2025-01-01 00:00:01+00', 2, '\\x', '\\x02'),
                             ($3, '2025-01-01 00:00:01+00', 3, convert_to('tenant-1', 'UTF8'), NULL),
                             ($4, '2025-01-01 00:00:01+00', 4, convert_to('tenant-1', 'UTF8'), '\\x'),
                             ($4, '2025-01-01 00:00:02+00', NULL, convert_to('tenant-2', 'UTF8'), '\\x03')`,
      [wrong(''), EMPTY_KEY_PART, wrong('tenant-1'), partitionForKey('tenant-1', N)],
    );
    const s = await open('bk', {
      columns: {
        partition: 'part',
        eventTime: 'et',
        eventId: 'id',
        key: 'k',
        payload: 'payload',
        schemaKey: { value: 's' },
      },
    });
    const r = await s.checkRouting(ALL);
    expect(r).toMatchObject({ scanned: 5, checked: 2, mismatched: 0 });
    expect(r.poison).toEqual({ NULL_KEY: 1, NULL_PAYLOAD: 1, NULL_EVENT_ID: 1 });
  });

  it('the sample limit caps the rows read, poison included', async () => {
    const r = await (await open('ev')).checkRouting(ALL, { sampleLimit: 10 });
    expect(r.scanned).toBe(10);
    expect(r.checked + Object.values(r.poison).reduce((a, b) => a + b, 0)).toBe(10);
  });

  it("uses the engine's client limit and reason for oversize payloads", () => {
    expect(defaultPayloadLimit.bytes).toBe(defaultPoisonCheckOptions.maxEventBytes);
    expect(defaultPayloadLimit.reason).toBe(ClientPoisonReason.PayloadTooLarge);
  });
});

async function readAll(it: AsyncIterable<EventBatch>) {
  const events: SourceEvent[] = [];
  const poison: PoisonRow[] = [];
  for await (const b of it) {
    events.push(...b.events);
    poison.push(...(b.poison ?? []));
  }
  return { events, poison };
}

describe.each(['copy', 'cursor'] as const)('the decoder (%s)', (readMethod) => {
  it('reports an empty event id as EMPTY_EVENT_ID poison; an empty key is an event', async () => {
    const s = await open('ev', { readMethod });
    const emptyId = await readAll(s.read(wrong('k-empty-id'), null, ALL, { batchSize: 7 }));
    expect(emptyId.events.map((e) => e.eventId)).not.toContain('');
    const p = emptyId.poison.find((x) => x.reason === 'EMPTY_EVENT_ID');
    expect(p).toMatchObject({ reason: 'EMPTY_EVENT_ID', eventId: null, raw: { id: '', k: 'k-empty-id' } });
    expect(p!.key?.toString()).toBe('k-empty-id');
    expect(p!.payload?.toString()).toBe('{"x": 3}');

    const emptyKey = await readAll(s.read(EMPTY_KEY_PART, null, ALL, { batchSize: 100 }));
    const e = emptyKey.events.find((x) => x.eventId === 'empty-key');
    expect(e?.key.length).toBe(0);
  });
});

describe('checkRouting() in a SQL_ASCII database', () => {
  let name: string;
  let url: string;
  beforeAll(async () => {
    name = `cr_pgsrc_rp_ascii_${Math.random().toString(16).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query(
        `CREATE DATABASE ${name} ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`,
      );
    } finally {
      await admin.end();
    }
    url = withDatabase(adminUrl(), name);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query(
        'CREATE TABLE tx (part int NOT NULL, et timestamptz NOT NULL, id text, k text, payload text, schema text)',
      );
      await c.query('CREATE INDEX ON tx (part, et, id)');
      // convert_from(…, 'SQL_ASCII') stores the bytes as they are: 0xff 0xfe is not UTF-8.
      await c.query(
        `INSERT INTO tx VALUES
          ($1, '2025-01-01 00:00:01+00', 'ok', 'k', 'caf' || convert_from('\\xc3a9'::bytea, 'SQL_ASCII'), 's'),
          ($2, '2025-01-01 00:00:02+00', 'bad', 'k', convert_from('\\x61fffe62'::bytea, 'SQL_ASCII'), 's'),
          ($2, '2025-01-01 00:00:03+00', convert_from('\\x69ff'::bytea, 'SQL_ASCII'), 'k', 'x', 's')`,
        [partitionForKey('k', N), wrong('k')],
      );
    } finally {
      await c.end();
    }
  });
  afterAll(async () => {
    for (const s of sources.splice(0)) await s.close();
    const a = new pg.Client({ connectionString: adminUrl() });
    await a.connect();
    try {
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await a.end();
    }
  });

  it('reports undecodable payloads and ids as poison with the decoder reasons', async () => {
    const s = await open(
      'tx',
      {},
      { url, name, query: () => Promise.reject(new Error('unused')), drop: async () => {} },
    );
    const r = await s.checkRouting(ALL);
    expect(r).toMatchObject({ scanned: 3, checked: 1, mismatched: 0 });
    expect(r.poison).toEqual({ PAYLOAD_NOT_UTF8: 1, EVENT_ID_NOT_UTF8: 1 });
    expect(r.poisonExamples.map((e) => e.eventId).sort()).toEqual(['\\x69ff', 'bad']);
  });
});
