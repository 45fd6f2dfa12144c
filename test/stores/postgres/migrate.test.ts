/**
 * The schema `ceptra_replay` and its numbered migrations, applied by the one `migrate()` from
 * either store's `init()`: concurrent inits, idempotence, and databases created before the pane
 * tables were a migration (0004).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, migrations, PgPaneStore, PgStateStore } from '../../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';

const ALL_VERSIONS = [
  { version: 1, name: 'init' },
  { version: 2, name: 'dead_letters' },
  { version: 3, name: 'stream_epochs_locks' },
  { version: 4, name: 'panes' },
  { version: 5, name: 'pane_blocks' },
  { version: 6, name: 'cursor_resume' },
];
const ALL_TABLES = [
  'audit',
  'cursors',
  'dead_letters',
  'jobs',
  'locks',
  'schema_migrations',
  'source_fold_status',
  'source_pane_blocks',
];

/** The DDL the pane store ran by itself before migration 0004 (under its own advisory lock). */
const OLD_PANE_DDL = `
CREATE SCHEMA IF NOT EXISTS ceptra_replay;
CREATE TABLE IF NOT EXISTS ceptra_replay.source_panes (
  job text NOT NULL, partition int NOT NULL, metric text NOT NULL, pane numeric NOT NULL,
  state jsonb NOT NULL,
  PRIMARY KEY (job, partition, metric, pane));
CREATE TABLE IF NOT EXISTS ceptra_replay.source_fold_status (
  job text NOT NULL, partition int NOT NULL, complete bool NOT NULL,
  covered_to_ts_ns text, covered_seq text, pane_ns text NOT NULL, metrics jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job, partition));`;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const versions = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query(
      'SELECT version, name FROM ceptra_replay.schema_migrations ORDER BY version',
    );
    return rows;
  });

const tables = (url: string) =>
  withClient(url, async (c) => {
    const { rows } = await c.query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ceptra_replay' ORDER BY 1",
    );
    return rows.map((r) => r.table_name as string);
  });

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('stores_migrate');
});
afterAll(async () => {
  await db?.drop();
});

describe('migrate()', () => {
  it('five concurrent inits on a fresh database apply each migration once', async () => {
    const fresh = await createTestDatabase('state_pg_init');
    try {
      const stores = Array.from({ length: 5 }, () => new PgStateStore({ url: fresh.url, poolMax: 1 }));
      await Promise.all(stores.map((s) => s.init()));
      expect(await versions(fresh.url)).toEqual(ALL_VERSIONS);
      expect(await tables(fresh.url)).toEqual(ALL_TABLES);
      await stores[0]!.save('j', [
        { partition: 0, tsNs: 1n, eventId: 'e', seq: 1n, acked: 1n, done: false, epoch: 1 },
      ]);
      expect((await stores[4]!.load('j')).get(0)!.tsNs).toBe(1n);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('state and pane stores initializing side by side on a fresh database share the one migration path', async () => {
    const fresh = await createTestDatabase('stores_side_by_side');
    try {
      const opened = [
        new PgPaneStore({ url: fresh.url }),
        new PgStateStore({ url: fresh.url, poolMax: 1 }),
        new PgPaneStore({ url: fresh.url }),
        new PgStateStore({ url: fresh.url, poolMax: 1 }),
      ];
      await Promise.all(opened.map((s) => s.init()));
      expect(await versions(fresh.url)).toEqual(ALL_VERSIONS);
      expect(await tables(fresh.url)).toEqual(ALL_TABLES);
      await Promise.all(opened.map((s) => s.close()));
    } finally {
      await fresh.drop();
    }
  });

  it('is idempotent on an up-to-date schema', async () => {
    const store = new PgStateStore({ url: db.url });
    await store.init();
    await store.close();
    expect(await withClient(db.url, (c) => migrate(c))).toEqual([]);
  });

  it('a database whose pane tables the old pane store created migrates cleanly and keeps their rows', async () => {
    const old = await createTestDatabase('stores_old_panes');
    try {
      await withClient(old.url, async (c) => {
        // What a database looked like before 0004: migrations 1–3, pane tables from the old DDL.
        expect(await migrate(c, migrations.slice(0, 3))).toEqual([1, 2, 3]);
        await c.query(OLD_PANE_DDL);
        await c.query(
          `INSERT INTO ceptra_replay.source_panes VALUES ('j', 0, 'ingest_events_total', 7, '{"n": 3}')`,
        );
        await c.query(
          `INSERT INTO ceptra_replay.source_fold_status (job, partition, complete, covered_to_ts_ns, covered_seq, pane_ns, metrics)
           VALUES ('j', 0, true, '1754006400000000000', '3', '250000000', '[]')`,
        );
      });
      const panes = new PgPaneStore({ url: old.url });
      await panes.init();
      expect(await versions(old.url)).toEqual(ALL_VERSIONS);
      expect(await tables(old.url)).toEqual(ALL_TABLES);
      expect(await panes.entries('j', 0)).toEqual([
        { partition: 0, metric: 'ingest_events_total', pane: '7', state: { n: 3 } },
      ]);
      expect((await panes.statuses('j')).get(0)).toEqual({
        partition: 0,
        complete: true,
        coveredTo: { tsNs: 1_754_006_400_000_000_000n, seq: 3n },
        paneNs: 250_000_000n,
        metrics: [],
      });
      await panes.close();
      // A state store on the same database finds nothing left to apply.
      expect(await withClient(old.url, (c) => migrate(c))).toEqual([]);
    } finally {
      await old.drop();
    }
  });

  it('a database with only the old pane tables (verify before any run) gets the whole schema', async () => {
    const old = await createTestDatabase('stores_only_panes');
    try {
      await withClient(old.url, (c) => c.query(OLD_PANE_DDL));
      const store = new PgStateStore({ url: old.url });
      await store.init();
      await store.close();
      expect(await versions(old.url)).toEqual(ALL_VERSIONS);
      expect(await tables(old.url)).toEqual(ALL_TABLES);
    } finally {
      await old.drop();
    }
  });
  it('0005 folds per-pane rows into blocks the store reads back exactly (negative panes, block edges)', async () => {
    const old = await createTestDatabase('stores_pane_rows');
    try {
      const ns = [-1025n, -1024n, -1n, 0n, 1023n, 1024n, 18_446_744_073_709_551_617n];
      await withClient(old.url, async (c) => {
        expect(await migrate(c, migrations.slice(0, 4))).toEqual([1, 2, 3, 4]);
        for (const n of ns)
          await c.query(`INSERT INTO ceptra_replay.source_panes VALUES ('j', 1, 'm', $1, $2)`, [
            n.toString(),
            JSON.stringify({ n: Number(n % 100n) }),
          ]);
        await c.query(`INSERT INTO ceptra_replay.source_panes VALUES ('k', 1, 'm', 5, '{"n": 5}')`);
        expect(await migrate(c, migrations.slice(0, 5))).toEqual([5]);
      });
      const panes = new PgPaneStore({ url: old.url });
      await panes.init();
      const entry = (n: bigint) => ({
        partition: 1,
        metric: 'm',
        pane: n.toString(),
        state: { n: Number(n % 100n) },
      });
      expect(await panes.entries('j', 1)).toEqual(ns.map(entry));
      for (const from of [-1024n, -1n, 1023n, 1024n])
        expect(await panes.entries('j', 1, from)).toEqual(ns.filter((n) => n >= from).map(entry));
      expect(await panes.entries('k', 1)).toEqual([
        { partition: 1, metric: 'm', pane: '5', state: { n: 5 } },
      ]);
      await panes.close();
    } finally {
      await old.drop();
    }
  });
});
