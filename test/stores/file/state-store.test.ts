import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayError } from '../../../src/common/errors.js';
import type { Cursor } from '../../../src/engine/cursor.js';
import { createStateStore, FileStateStore } from '../../../src/stores/index.js';
import { stateStoreContract } from '../state-store-contract.js';

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cr-state-file-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

stateStoreContract('FileStateStore', () => {
  const file = join(dir, `contract-${n++}`, 'state.json'); // a missing directory is created
  return {
    async open() {
      const store = new FileStateStore({ file });
      await store.init();
      return store;
    },
    async audit(job) {
      const text = await readFile(`${file}.audit.ndjson`, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
        .filter((r) => r.job === job)
        .map((r) => ({ kind: r.kind, partition: r.partition ?? null, detail: r.detail }));
    },
  };
});

const c0: Cursor = {
  partition: 0,
  tsNs: 1_754_006_400_000_000_001n,
  eventId: 'a',
  seq: 1n,
  acked: 1n,
  done: false,
  epoch: 1,
};

describe('FileStateStore specifics', () => {
  it('stores bigint as strings in readable JSON', async () => {
    const file = join(dir, 'plain.json');
    const store = createStateStore({ file });
    expect(store).toBeInstanceOf(FileStateStore);
    await store.init();
    await store.save('j', [c0]);
    const json = JSON.parse(await readFile(file, 'utf8'));
    expect(json.jobs.j.cursors['0'].tsNs).toBe('1754006400000000001');
    expect(json.format).toBe('ceptra-replay-state');
  });

  it('a corrupt file fails init with a message naming the file and the way out', async () => {
    for (const [name, text] of [
      ['truncated.json', '{"format":"ceptra-replay-state","version":1,"jobs":{"j":{"cursors":{'],
      [
        'wrong.json',
        '{"format":"ceptra-replay-state","version":1,"jobs":{"j":{"cursors":{"0":{"tsNs":1.5}}}}}',
      ],
    ] as const) {
      const file = join(dir, name);
      await writeFile(file, text);
      const err = await new FileStateStore({ file }).init().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ReplayError);
      expect((err as ReplayError).code).toBe('STATE_CORRUPT');
      expect((err as Error).message).toContain(file);
      expect((err as Error).message).toContain('--restart');
    }
  });

  it('a failed write keeps the previous file intact and leaves no temp file', async () => {
    const sub = join(dir, 'atomic');
    const file = join(sub, 'state.json');
    const good = new FileStateStore({ file });
    await good.init();
    await good.save('j', [c0]);
    const before = await readFile(file, 'utf8');

    let failRename = true;
    const flaky = new FileStateStore({
      file,
      fsOps: {
        // Half the bytes reach the temp file, then the "disk" fails.
        open: (async (path: string, flags: string, mode?: number) => {
          const { open } = await import('node:fs/promises');
          const fh = await open(path, flags, mode);
          if (flags !== 'w' || !failRename) return fh;
          return Object.assign(Object.create(fh), {
            writeFile: async (data: string) => {
              await fh.writeFile(data.slice(0, data.length >> 1));
              throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
            },
            sync: () => fh.sync(),
            close: () => fh.close(),
          });
        }) as never,
      },
    });
    await flaky.init();
    await expect(flaky.save('j', [{ ...c0, seq: 2n }])).rejects.toThrow(/ENOSPC/);
    expect(await readFile(file, 'utf8')).toBe(before);
    expect((await readdir(sub)).sort()).toEqual(['state.json']);
    // The failed mutation is not adopted in memory either, and the store keeps working.
    expect((await flaky.load('j')).get(0)!.seq).toBe(1n);
    failRename = false;
    await flaky.save('j', [{ ...c0, seq: 3n }]);
    const reopened = new FileStateStore({ file });
    await reopened.init();
    expect((await reopened.load('j')).get(0)!.seq).toBe(3n);
  });

  it('a failed rename leaves the old file and removes the temp file', async () => {
    const sub = join(dir, 'rename');
    const file = join(sub, 'state.json');
    const store = new FileStateStore({
      file,
      fsOps: {
        rename: async () => {
          throw Object.assign(new Error('EXDEV: simulated'), { code: 'EXDEV' });
        },
      },
    });
    await store.init();
    await expect(store.save('j', [c0])).rejects.toThrow(/EXDEV/);
    expect(await readdir(sub)).toEqual([]);
  });

  it('serializes concurrent saves: every partition of every call is in the file', async () => {
    const file = join(dir, 'concurrent.json');
    const store = new FileStateStore({ file });
    await store.init();
    await Promise.all(
      Array.from({ length: 40 }, (_, p) => store.save('j', [{ ...c0, partition: p, seq: BigInt(p) }])),
    );
    const reopened = new FileStateStore({ file });
    await reopened.init();
    const loaded = await reopened.load('j');
    expect(loaded.size).toBe(40);
    expect(loaded.get(39)!.seq).toBe(39n);
  });
});
