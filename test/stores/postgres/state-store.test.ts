import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStateStore, PgStateStore } from '../../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';
import { stateStoreContract } from '../state-store-contract.js';

// Own client (ended before drop): the helper's pool can race its DROP … WITH (FORCE) and
// surface a 57P01 'terminating connection' as an unhandled error.
let db: TestDatabase;
let sql: pg.Client;
beforeAll(async () => {
  db = await createTestDatabase('state_pg');
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await db?.drop();
});

stateStoreContract('PgStateStore', () => ({
  async open() {
    const store = new PgStateStore({ url: db.url });
    await store.init();
    return store;
  },
  async audit(job) {
    const { rows } = await sql.query(
      'SELECT kind, partition, detail FROM ceptra_replay.audit WHERE job = $1 ORDER BY id',
      [job],
    );
    return rows as never;
  },
}));

describe('PgStateStore specifics', () => {
  it('a save of many cursors and audit rows is one statement (one round trip, one transaction)', async () => {
    const store = new PgStateStore({ url: db.url, poolMax: 1 });
    await store.init();
    const spy = vi.spyOn(pg.Pool.prototype, 'query');
    try {
      const cursors = Array.from({ length: 64 }, (_, p) => ({
        partition: p,
        tsNs: 1_754_006_400_000_000_000n + BigInt(p),
        eventId: `e${p}`,
        seq: BigInt(p),
        acked: 1n,
        done: false,
        epoch: 1,
      }));
      await store.save('bulk', cursors, [{ kind: 'batch', partition: 1, detail: { n: 64 } }]);
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    expect((await store.load('bulk')).size).toBe(64);
    const audit = await sql.query("SELECT count(*)::int AS n FROM ceptra_replay.audit WHERE job = 'bulk'");
    expect(audit.rows[0]!.n).toBe(1);
    // now() is the transaction start: all rows carry the same timestamp iff one transaction wrote them.
    const stamps = await sql.query(
      "SELECT count(DISTINCT updated_at)::int AS n FROM ceptra_replay.cursors WHERE job = 'bulk'",
    );
    expect(stamps.rows[0]!.n).toBe(1);
    await store.close();
  });

  it('a failing save writes neither cursors nor audit rows (same transaction)', async () => {
    const store = new PgStateStore({ url: db.url });
    await store.init();
    const bad = { partition: 0, tsNs: 5n, eventId: 'x', seq: 1n, acked: 1n, done: false, epoch: 1 };
    // A NUL byte is invalid in Postgres text: the audit insert fails, so the cursor must not land.
    await expect(store.save('atomic', [bad], [{ kind: 'batch\u0000', detail: {} }])).rejects.toThrow();
    expect((await store.load('atomic')).size).toBe(0);
    await store.close();
  });

  it('createStateStore({ url }) gives a PgStateStore', async () => {
    const store = createStateStore({ url: db.url });
    expect(store).toBeInstanceOf(PgStateStore);
    await store.init();
    await store.close();
  });
});

describe('PgStateStore against a database that stops answering (blackholed, not refusing)', () => {
  it('a commit fails within its timeout instead of hanging, and close() returns', async () => {
    const u = new URL(db.url);
    const proxy = await startTcpProxy(u.hostname, Number(u.port || 5432));
    const store = new PgStateStore({ url: proxy.url(db.url), queryTimeoutMs: 500, connectTimeoutMs: 500 });
    try {
      await store.init();
      const c = { partition: 0, tsNs: 1n, eventId: 'e', seq: 1n, acked: 1n, done: false, epoch: 1 };
      await store.save('blackholed', [c]);
      proxy.blackhole();
      const t0 = Date.now();
      await expect(store.save('blackholed', [{ ...c, seq: 2n }])).rejects.toThrow(/timeout/i);
      expect(Date.now() - t0).toBeLessThan(5_000);
      // A new connection (the pool discarded the timed-out one) times out too: bounded as well.
      const t1 = Date.now();
      await expect(store.load('blackholed')).rejects.toThrow(/timeout/i);
      expect(Date.now() - t1).toBeLessThan(5_000);
      proxy.restore();
      await store.save('blackholed', [{ ...c, seq: 3n }]);
      expect((await store.load('blackholed')).get(0)!.seq).toBe(3n);
      proxy.blackhole();
      const t2 = Date.now();
      await store.close();
      expect(Date.now() - t2).toBeLessThan(5_000);
    } finally {
      await proxy.close();
    }
  });
});
