import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaneStore, PgPaneStore } from '../../../src/stores/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { paneStoreContract } from '../pane-store-contract.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('panes_pg');
});
afterAll(async () => {
  await db?.drop();
});

paneStoreContract('PgPaneStore', () => ({
  async open() {
    const store = new PgPaneStore({ url: db.url });
    await store.init();
    return store;
  },
}));

describe('PgPaneStore specifics', () => {
  it('createPaneStore({ url }) gives a PgPaneStore', async () => {
    const store = createPaneStore({ url: db.url });
    expect(store).toBeInstanceOf(PgPaneStore);
    await store.init();
    await store.close();
  });

  it('a write is one transaction: a failing write stores neither panes nor statuses', async () => {
    const store = new PgPaneStore({ url: db.url });
    await store.init();
    const status = { partition: 0, complete: true, coveredTo: null, paneNs: 1n, metrics: [] };
    const ok = { partition: 0, metric: 'm', pane: '1', state: 1 };
    // A NUL byte is invalid in Postgres text: the pane insert fails after the status rows were sent.
    const bad = { partition: 1, metric: 'm\u0000', pane: '1', state: 1 };
    await expect(
      store.write('tx', [
        { status, clear: false, upsert: [ok] },
        { status: { ...status, partition: 1 }, clear: false, upsert: [bad] },
      ]),
    ).rejects.toMatchObject({ code: 'STATE_WRITE' });
    expect((await store.statuses('tx')).size).toBe(0);
    expect(await store.entries('tx', 0)).toEqual([]);
    await store.close();
  });
});
