import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../../src/common/fnv.js';
import { describeSeed, seedEvents, textEventId } from '../../../src/sources/synthetic/index.js';
import { resolveSeedOptions } from '../../../src/sources/synthetic/options.js';
import { payloadGenerator, rowShapes } from '../../../src/sources/synthetic/rows.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

let db: TestDatabase;
let sql: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase('synthetic');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

const usOf = (column: string) => `floor(extract(epoch FROM ${column}) * 1000000)::int8::text`;

async function perPartitionFromDb(table: string, partitions: number) {
  const { rows } = await sql.query(
    `SELECT part_id, count(*)::int AS n, ${usOf('min(event_time)')} AS first, ${usOf('max(event_time)')} AS last
       FROM ${table} GROUP BY part_id ORDER BY part_id`,
  );
  const counts = new Array<number>(partitions).fill(0);
  const first = new Array<bigint | null>(partitions).fill(null);
  const last = new Array<bigint | null>(partitions).fill(null);
  for (const r of rows) {
    counts[r.part_id] = r.n;
    first[r.part_id] = BigInt(r.first) * 1000n;
    last[r.part_id] = BigInt(r.last) * 1000n;
  }
  return { counts, first, last };
}

describe('describeSeed', () => {
  it('is deterministic per seed and accounts for every row', () => {
    const a = describeSeed({ rows: 5000, seed: 7 });
    expect(describeSeed({ rows: 5000, seed: 7 })).toEqual(a);
    expect(describeSeed({ rows: 5000, seed: 8 }).perPartition).not.toEqual(a.perPartition);
    expect(a.perPartition.reduce((s, n) => s + n, 0)).toBe(5000);
    expect(a.perPartition.every((n) => n > 0)).toBe(true);
    expect(a.equalTsGroups).toBeGreaterThan(50);
    expect(describeSeed({ rows: 5000, seed: 7, equalTsEvery: 0 }).equalTsGroups).toBe(0);
  });

  it('spreads times over [start, start + span) at µs resolution, never decreasing', () => {
    const o = resolveSeedOptions({ rows: 3000, spanMs: 1000, startNs: 1_754_006_400_000_000_999n });
    let prev = -1;
    for (const r of rowShapes(o)) {
      expect(r.tsUs).toBeGreaterThanOrEqual(prev);
      prev = r.tsUs;
    }
    const d = describeSeed({ rows: 3000, spanMs: 1000, startNs: 1_754_006_400_000_000_999n });
    const firsts = d.firstTsNs.filter((v): v is bigint => v !== null);
    const lasts = d.lastTsNs.filter((v): v is bigint => v !== null);
    expect(
      firsts.reduce((m, v) => {
        if (v < m) return v;
        return m;
      }),
    ).toBe(1_754_006_400_000_000_000n);
    expect(lasts.every((v) => v < 1_754_006_401_000_000_000n)).toBe(true);
  });
});

describe('seedEvents', () => {
  const rows = 20_000;

  it('writes exactly what describeSeed predicts, routed by FNV(key) mod N, indexed', async () => {
    const result = await seedEvents(db.url, { rows, seed: 42 });
    const expected = describeSeed({ rows, seed: 42 });
    expect(result.rows).toBe(rows);
    expect(result.perPartition).toEqual(expected.perPartition);
    expect(result.rowsPerSec).toBeGreaterThan(0);

    const got = await perPartitionFromDb('events', 16);
    expect(got.counts).toEqual(expected.perPartition);
    expect(got.first).toEqual(expected.firstTsNs);
    expect(got.last).toEqual(expected.lastTsNs);

    const keys = await sql.query('SELECT DISTINCT key, part_id FROM events');
    expect(keys.rows.length).toBeGreaterThan(100);
    for (const r of keys.rows) expect(r.part_id).toBe(partitionForKey(r.key, 16));

    const dup = await sql.query(
      `SELECT count(*)::int AS groups, coalesce(sum(n - 1), 0)::int AS extra
         FROM (SELECT count(*) AS n FROM events GROUP BY part_id, event_time HAVING count(*) > 1) g`,
    );
    expect(dup.rows[0]).toEqual({ groups: expected.equalTsGroups, extra: expected.equalTsRows });

    const ids = await sql.query('SELECT count(DISTINCT event_id)::int AS n FROM events');
    expect(ids.rows[0]!.n).toBe(rows);
    const idx = await sql.query("SELECT indexdef FROM pg_indexes WHERE tablename = 'events'");
    expect(idx.rows.map((r) => r.indexdef).join()).toMatch(/\(part_id, event_time, event_id\)/);
    const analyzed = await sql.query("SELECT reltuples::int AS n FROM pg_class WHERE relname = 'events'");
    expect(analyzed.rows[0]!.n).toBe(rows);
  });

  it('payloads survive COPY escaping byte for byte (quotes, backslashes, tabs, newlines, non-ASCII)', async () => {
    const o = resolveSeedOptions({ rows, seed: 42 });
    const payloadOf = payloadGenerator(o);
    const expected = new Map<string, unknown>();
    for (const r of rowShapes(o)) {
      const p = payloadOf(r);
      if (r.index % 97 === 0 || r.index % 1000 === 1) expected.set(textEventId(42, r.index), JSON.parse(p));
    }
    const { rows: got } = await sql.query(
      'SELECT event_id, payload, schema_key FROM events WHERE event_id = ANY($1)',
      [[...expected.keys()]],
    );
    expect(got).toHaveLength(expected.size);
    for (const r of got) {
      expect(r.payload).toEqual(expected.get(r.event_id));
      expect(r.schema_key).toBe('json:1.0:synthetic');
    }
    const notes = got.map((r) => (r.payload as { note: string }).note).join('|');
    for (const s of ['\t', '\n', '\\', '"', 'café ✓ 東京']) expect(notes).toContain(s);
    const size = await sql.query('SELECT avg(octet_length(payload::text))::int AS n FROM events');
    expect(size.rows[0]!.n).toBeGreaterThan(150);
    expect(size.rows[0]!.n).toBeLessThan(260);
  });

  it('is reproducible: the same seed gives the same table content', async () => {
    await seedEvents(db.url, { rows: 3000, seed: 5, table: 'public.events_a' });
    await seedEvents(db.url, { rows: 3000, seed: 5, table: 'events_b' });
    await seedEvents(db.url, { rows: 3000, seed: 6, table: 'events_c' });
    const digest = async (t: string) =>
      (
        await sql.query(
          `SELECT md5(string_agg(concat_ws(',', part_id, event_time, event_id, key, payload::text), '|'
             ORDER BY part_id, event_time, event_id)) AS d FROM ${t}`,
        )
      ).rows[0]!.d;
    expect(await digest('events_a')).toBe(await digest('events_b'));
    expect(await digest('events_a')).not.toBe(await digest('events_c'));
  });

  it('listPartitioned: one LIST child per partition; bigint event ids', async () => {
    const opts = {
      rows: 5000,
      seed: 3,
      partitions: 8,
      table: 'events_list',
      listPartitioned: true,
      eventIdType: 'bigint' as const,
    };
    await seedEvents(db.url, opts);
    const children = await sql.query(
      `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) AS bound
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'events_list'::regclass ORDER BY c.relname`,
    );
    expect(children.rows).toHaveLength(8);
    expect(children.rows[0]).toEqual({ relname: 'events_list_p0', bound: 'FOR VALUES IN (0)' });
    const stray = await sql.query('SELECT count(*)::int AS n FROM events_list_p3 WHERE part_id <> 3');
    expect(stray.rows[0]!.n).toBe(0);
    const type = await sql.query(
      "SELECT data_type FROM information_schema.columns WHERE table_name = 'events_list' AND column_name = 'event_id'",
    );
    expect(type.rows[0]!.data_type).toBe('bigint');
    const got = await perPartitionFromDb('events_list', 8);
    expect(got.counts).toEqual(describeSeed(opts).perPartition);
    const ids = await sql.query('SELECT min(event_id)::int AS lo, max(event_id)::int AS hi FROM events_list');
    expect(ids.rows[0]).toEqual({ lo: 1, hi: 5000 });
  });

  it('replace: false refuses to overwrite an existing table', async () => {
    await expect(seedEvents(db.url, { rows: 10, table: 'events_b', replace: false })).rejects.toThrow(
      /already exists/,
    );
    expect((await sql.query('SELECT count(*)::int AS n FROM events_b')).rows[0]!.n).toBe(3000);
  });
});
