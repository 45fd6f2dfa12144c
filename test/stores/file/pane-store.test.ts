import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaneStore, FilePaneStore } from '../../../src/stores/index.js';
import { paneStoreContract } from '../pane-store-contract.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cr-panes-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

paneStoreContract('FilePaneStore', () => {
  const file = join(dir, `contract-${n++}`, 'state.json'); // a missing directory is created
  return {
    async open() {
      const store = new FilePaneStore({ file });
      await store.init();
      return store;
    },
  };
});

describe('FilePaneStore specifics', () => {
  it('createPaneStore({ file }) keeps the folds in <state file>.panes.ndjson', async () => {
    const file = join(dir, 'plain', 'state.json');
    const store = createPaneStore({ file });
    expect(store).toBeInstanceOf(FilePaneStore);
    expect((store as FilePaneStore).file).toBe(`${file}.panes.ndjson`);
    await store.init();
    await store.close();
  });

  it('a write replaces the file atomically: readable NDJSON lines, no temp file left behind', async () => {
    const sub = join(dir, 'atomic');
    const file = join(sub, 'state.json');
    const store = new FilePaneStore({ file });
    await store.init();
    const status = {
      partition: 0,
      complete: true,
      coveredTo: { tsNs: 5n, seq: 2n },
      paneNs: 1n,
      metrics: [],
    };
    await store.write('j', [
      { status, clear: false, upsert: [{ partition: 0, metric: 'm', pane: '3', state: { n: 1 } }] },
    ]);
    await store.close();
    expect(await readdir(sub)).toEqual(['state.json.panes.ndjson']);
    const lines = (await readFile(`${file}.panes.ndjson`, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        t: 'status',
        job: 'j',
        partition: 0,
        complete: true,
        covered_to_ts_ns: '5',
        covered_seq: '2',
        pane_ns: '1',
        metrics: [],
      },
      { t: 'pane', job: 'j', partition: 0, metric: 'm', pane: '3', state: { n: 1 } },
    ]);
  });
});
