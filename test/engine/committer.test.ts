/**
 * The cursor committer over a real file store whose "disk" can be made to fail (injected rename
 * errors): grouped writes, and what happens while the store is down — failures counted, progress
 * held once too much is uncommitted, released by the first write that succeeds.
 */
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CursorCommitter } from '../../src/engine/committer.js';
import type { Cursor } from '../../src/engine/cursor.js';
import { FileStateStore } from '../../src/stores/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cr-committer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cur = (partition: number, seq: bigint): Cursor => ({
  partition,
  tsNs: 1_000n + seq,
  eventId: `e${seq}`,
  seq,
  acked: seq,
  done: false,
  epoch: 1,
});

async function store(name: string, down: { value: boolean }) {
  const s = new FileStateStore({
    file: join(dir, name, 'state.json'),
    fsOps: {
      rename: (async (a: string, b: string) => {
        if (down.value) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
        return rename(a, b);
      }) as never,
    },
  });
  await s.init();
  return s;
}

describe('CursorCommitter', () => {
  it('groups: one write carries the latest cursor of every partition that moved', async () => {
    const s = await store('grouped', { value: false });
    let writes = 0;
    const c = new CursorCommitter({
      job: 'j',
      store: s,
      intervalMs: 60_000,
      everyBatches: 1000,
      onCommit: () => writes++,
    });
    for (let i = 1n; i <= 50n; i++) c.advance(cur(Number(i % 3n), i), 10);
    expect(c.uncommitted).toBe(500);
    await c.flush();
    expect(writes).toBe(1);
    expect(c.uncommitted).toBe(0);
    const loaded = await s.load('j');
    expect([...loaded.values()].map((x) => [x.partition, x.seq])).toEqual([
      [0, 48n],
      [1, 49n],
      [2, 50n],
    ]);
    await c.close();
  });

  it('while the store is down: failures counted, new work held past the bound, released by a success', async () => {
    const down = { value: false };
    const s = await store('down', down);
    const errors: unknown[] = [];
    const gauge: number[] = [];
    const c = new CursorCommitter({
      job: 'j',
      store: s,
      intervalMs: 60_000,
      everyBatches: 1000,
      maxUncommittedEvents: 100,
      onError: (e) => errors.push(e),
      onUncommitted: (n) => gauge.push(n),
    });
    const stop = new AbortController();
    c.advance(cur(0, 1n), 60);
    await c.room(stop.signal); // under the bound: no wait
    down.value = true;
    c.advance(cur(0, 2n), 60);
    await c.flush();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/EIO/);
    expect(c.uncommitted).toBe(120); // nothing was lost from the count
    let released = false;
    const held = c.room(stop.signal).then(() => (released = true));
    await c.flush(); // still down
    await new Promise((r) => setImmediate(r)); // let a (wrong) release run its continuation
    expect(released).toBe(false);
    expect(errors).toHaveLength(2);
    down.value = false;
    await c.flush();
    await held;
    expect(released).toBe(true);
    expect(c.uncommitted).toBe(0);
    expect(gauge.at(-1)).toBe(0);
    expect((await s.load('j')).get(0)!.seq).toBe(2n);
    await c.close();
  });

  it('close() surfaces a write that never succeeded; a stop releases a held launch', async () => {
    const down = { value: true };
    const s = await store('never', down);
    const c = new CursorCommitter({
      job: 'j',
      store: s,
      intervalMs: 60_000,
      everyBatches: 1000,
      maxUncommittedEvents: 1,
    });
    c.advance(cur(1, 5n), 10);
    const stop = new AbortController();
    const held = c.room(stop.signal);
    stop.abort();
    await held;
    await expect(c.close()).rejects.toThrow(/EIO/);
  });
});
