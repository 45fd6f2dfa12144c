/** The fold-across-runs rule and the file pane store, without a database. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Cursor, CursorStore } from '../../../src/engine/cursor.js';
import {
  BatchFolder,
  decideFold,
  PaneAccumulator,
  RunFoldRecorder,
} from '../../../src/engine/verify/index.js';
import { FilePaneStore } from '../../../src/stores/file/index.js';

const spec = { paneNs: 250_000_000n, metrics: [] };
const cur = (tsNs: bigint, seq: bigint, done = false): Cursor => ({
  partition: 0,
  tsNs,
  eventId: 'x',
  seq,
  acked: seq,
  done,
  epoch: 1,
});
const status = (complete: boolean, tsNs: bigint, seq: bigint) => ({
  partition: 0,
  complete,
  coveredTo: { tsNs, seq },
  paneNs: spec.paneNs,
  metrics: [],
});

describe('decideFold', () => {
  const base = { compatible: true, failed: false, folded: true };
  it('replaces from the start, merges a fold that ends at the run start, invalidates a lagging one', () => {
    expect(decideFold({ ...base, start: undefined, end: cur(5n, 5n), stored: undefined })).toBe('replace');
    expect(decideFold({ ...base, start: cur(5n, 5n), end: cur(9n, 9n), stored: status(true, 5n, 5n) })).toBe(
      'merge',
    );
    // After a SIGKILL the stored fold ends at seq 3 while the committed cursor reached 5.
    expect(decideFold({ ...base, start: cur(5n, 5n), end: cur(9n, 9n), stored: status(true, 3n, 3n) })).toBe(
      'invalidate',
    );
    expect(decideFold({ ...base, start: cur(5n, 5n), end: cur(9n, 9n), stored: status(false, 5n, 5n) })).toBe(
      'invalidate',
    );
    expect(
      decideFold({
        ...base,
        compatible: false,
        start: cur(5n, 5n),
        end: cur(9n, 9n),
        stored: status(true, 5n, 5n),
      }),
    ).toBe('invalidate');
    expect(decideFold({ ...base, failed: true, start: undefined, end: cur(9n, 9n), stored: undefined })).toBe(
      'invalidate',
    );
    expect(
      decideFold({
        ...base,
        folded: false,
        start: cur(5n, 5n, true),
        end: cur(5n, 5n, true),
        stored: status(true, 5n, 5n),
      }),
    ).toBe('keep');
  });
});

describe('RunFoldRecorder over the file pane store', () => {
  it('merges run after run into the fold of everything, and invalidates after a lost save', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'cr-panes-')), 'state.json');
    const cursors = new Map<number, Cursor>();
    const cs = { load: async () => new Map(cursors) } as unknown as CursorStore;
    const ev = (i: number) => ({
      tsNs: BigInt(i) * 100_000_000n,
      eventId: `e${i}`,
      key: Buffer.from('k'),
      payload: Buffer.from('{}'),
      schemaKey: 's',
    });
    const runFold = (from: number, to: number) => {
      const acc = new PaneAccumulator(spec);
      acc.add(
        new BatchFolder(spec).fold(
          0,
          Array.from({ length: to - from }, (_, k) => ev(from + k)),
        ),
      );
      return acc.snapshot();
    };
    const record = async (from: number, to: number) => {
      const store = new FilePaneStore({ file });
      const r = await RunFoldRecorder.begin(store, cs, 'j', [0], spec);
      cursors.set(0, cur(BigInt(to - 1) * 100_000_000n, BigInt(to)));
      const out = await r.finish(runFold(from, to), new Set(), cs);
      await store.close();
      return out;
    };
    expect((await record(0, 7)).replace).toEqual([0]);
    expect((await record(7, 20)).merge).toEqual([0]);
    const store = new FilePaneStore({ file });
    await store.init();
    expect(JSON.stringify(await store.entries('j', 0))).toBe(
      JSON.stringify(
        runFold(0, 20).entries.sort((a, b) =>
          a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : Number(BigInt(a.pane) - BigInt(b.pane)),
        ),
      ),
    );
    expect((await store.statuses('j')).get(0)?.complete).toBe(true);
    // A run whose save was lost (SIGKILL): the cursor moved to 25 without a fold save.
    cursors.set(0, cur(24n * 100_000_000n, 25n));
    expect((await record(25, 30)).invalidate).toEqual([0]);
    const after = new FilePaneStore({ file });
    expect((await after.statuses('j')).get(0)?.complete).toBe(false);
    expect(await after.entries('j', 0)).toEqual([]);
  });
});

describe('PaneAccumulator built-ins fast path', () => {
  it('snapshots exactly what the general fold gives for the same batches, in snapshot order (property)', () => {
    const event = fc.record({
      partition: fc.integer({ min: 0, max: 3 }),
      tsNs: fc.bigInt({ min: 0n, max: 20n * 250_000_000n }),
      bytes: fc.integer({ min: 0, max: 300 }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), fc.integer({ min: 1, max: 40 }), (raw, batch) => {
        const fast = new PaneAccumulator(spec);
        const general = new PaneAccumulator(spec);
        const folder = new BatchFolder(spec);
        // Per partition in time order (as a partition streams), batches arrive interleaved.
        const byPart = new Map<number, typeof raw>();
        for (const e of raw) byPart.set(e.partition, [...(byPart.get(e.partition) ?? []), e]);
        const batches: { partition: number; events: ReturnType<typeof toEvent>[] }[] = [];
        for (const [partition, evs] of byPart) {
          evs.sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
          for (let i = 0; i < evs.length; i += batch)
            batches.push({ partition, events: evs.slice(i, i + batch).map(toEvent) });
        }
        batches.sort((a, b) => b.partition - a.partition); // not in partition order
        for (const b of batches) {
          fast.addBuiltins(b.partition, folder.foldBuiltins(b.events));
          general.add(folder.fold(b.partition, b.events));
        }
        expect(fast.snapshot()).toEqual(general.snapshot());
      }),
      { numRuns: 200 },
    );
  });
});

function toEvent(e: { tsNs: bigint; bytes: number }) {
  return {
    tsNs: e.tsNs,
    eventId: 'e',
    key: Buffer.from('k'),
    payload: Buffer.alloc(e.bytes),
    schemaKey: 's',
  };
}
