/**
 * The shared contract every PaneStore must pass (run by postgres/pane-store.test.ts and
 * file/pane-store.test.ts). `open()` returns a fresh store on the same storage, initialized, so
 * tests can check what survives a reopen; each test uses its own job ids.
 */
import { describe, expect, it } from 'vitest';
import type { FoldStatus, FoldWrite, PaneStore } from '../../src/engine/verify/types.js';
import type { PaneEntry } from '../../src/monoid/index.js';

export interface PaneStoreHarness {
  open(): Promise<PaneStore>;
}

const metrics = [
  { name: 'amount_sum', kind: 'sum', field: '$.amount' },
  { name: 'ingest_events_total', kind: 'count' },
] as FoldStatus['metrics'];

const status = (partition: number, over: Partial<FoldStatus> = {}): FoldStatus => ({
  partition,
  complete: true,
  coveredTo: { tsNs: 1_754_006_400_123_456_789n + BigInt(partition), seq: 10n + BigInt(partition) },
  paneNs: 250_000_000n,
  metrics,
  ...over,
});

const pane = (partition: number, metric: string, p: string | bigint, n = 1): PaneEntry => ({
  partition,
  metric,
  pane: p.toString(),
  state: { n, sum: [n, 0.5], tag: `m-${metric}` },
});

const write = (s: FoldStatus, upsert: PaneEntry[], clear = false): FoldWrite => ({
  status: s,
  clear,
  upsert,
});

export function paneStoreContract(name: string, harness: () => PaneStoreHarness) {
  describe(`${name}: PaneStore contract`, () => {
    it('knows nothing of a job it never stored', async () => {
      const store = await harness().open();
      expect((await store.statuses('nobody')).size).toBe(0);
      expect(await store.entries('nobody', 0)).toEqual([]);
      await store.write('nobody', []); // an empty write is a no-op
      expect((await store.statuses('nobody')).size).toBe(0);
      await store.close();
    });

    it('init is idempotent: a second store on the same storage opens and sees the same data', async () => {
      const h = harness();
      const [a, b] = await Promise.all([h.open(), h.open()]);
      await a.write('pc-init', [write(status(0), [pane(0, 'ingest_events_total', 1n)])]);
      await a.close();
      const c = await h.open();
      expect(await c.entries('pc-init', 0)).toEqual([pane(0, 'ingest_events_total', 1n)]);
      await b.close();
      await c.close();
    });

    it('round-trips statuses exactly (wide integers, no coverage, metrics) across a reopen', async () => {
      const h = harness();
      const a = await h.open();
      const wide = status(1, {
        coveredTo: { tsNs: 18_446_744_073_709_551_617n, seq: 9_007_199_254_740_993n }, // > 2^64, 2^53 + 1
        paneNs: 60_000_000_000n,
      });
      const before = status(2, { complete: false, coveredTo: null, metrics: [] });
      await a.write('pc-status', [write(status(0), []), write(wide, []), write(before, [])]);
      await a.close();
      const b = await h.open();
      const got = await b.statuses('pc-status');
      expect([...got.keys()].sort()).toEqual([0, 1, 2]);
      expect(got.get(0)).toEqual(status(0));
      expect(got.get(1)).toEqual(wide);
      expect(got.get(2)).toEqual(before);
      await b.close();
    });

    it("returns a partition's panes sorted by (metric, pane numerically), with exact pane numbers", async () => {
      const h = harness();
      const a = await h.open();
      const big = 18_446_744_073_709_551_617n; // numeric / text stay exact
      const scrambled = [
        pane(0, 'ingest_events_total', 100n),
        pane(0, 'amount_sum', big),
        pane(0, 'ingest_events_total', 9n),
        pane(0, 'amount_sum', 10n),
        pane(0, 'ingest_events_total', 10n),
        pane(0, 'amount_sum', 9n),
      ];
      await a.write('pc-order', [write(status(0), scrambled)]);
      await a.close();
      const b = await h.open();
      expect((await b.entries('pc-order', 0)).map((e) => [e.metric, e.pane])).toEqual([
        ['amount_sum', '9'],
        ['amount_sum', '10'],
        ['amount_sum', big.toString()],
        ['ingest_events_total', '9'],
        ['ingest_events_total', '10'],
        ['ingest_events_total', '100'],
      ]);
      // States come back as stored.
      expect((await b.entries('pc-order', 0))[0]).toEqual(pane(0, 'amount_sum', 9n));
      await b.close();
    });

    it('entries(fromPane) returns only panes at or after it', async () => {
      const store = await harness().open();
      await store.write('pc-from', [
        write(status(0), [
          pane(0, 'amount_sum', 5n),
          pane(0, 'amount_sum', 6n),
          pane(0, 'amount_sum', 12n),
          pane(0, 'ingest_events_total', 4n),
          pane(0, 'ingest_events_total', 6n),
        ]),
      ]);
      expect((await store.entries('pc-from', 0, 6n)).map((e) => [e.metric, e.pane])).toEqual([
        ['amount_sum', '6'],
        ['amount_sum', '12'],
        ['ingest_events_total', '6'],
      ]);
      expect(await store.entries('pc-from', 0, 13n)).toEqual([]);
      expect(await store.entries('pc-from', 0, 0n)).toHaveLength(5);
      await store.close();
    });

    it('thousands of panes, negative and wide, round-trip exactly; fromPane cuts anywhere', async () => {
      const h = harness();
      const store = await h.open();
      // Consecutive runs across any storage grouping (the Postgres store keeps 1,024 per row),
      // around zero, and far out; two metrics interleaved.
      const ns = [
        ...Array.from({ length: 3000 }, (_, i) => BigInt(i - 1500)),
        ...Array.from({ length: 50 }, (_, i) => 7_016_025_600n + BigInt(i) * 997n),
        -(2n ** 70n),
        2n ** 70n,
      ];
      const all = ns.flatMap((n) => [
        pane(0, 'ingest_events_total', n, Number(n % 1000n)),
        pane(0, 'amount_sum', n, 1),
      ]);
      await store.write('pc-many', [write(status(0), all)]);
      const sorted = [...all].sort((a, b) =>
        a.metric !== b.metric ? (a.metric < b.metric ? -1 : 1) : BigInt(a.pane) < BigInt(b.pane) ? -1 : 1,
      );
      await store.close();
      const again = await h.open();
      expect(await again.entries('pc-many', 0)).toEqual(sorted);
      for (const from of [-1025n, -1024n, -1n, 0n, 1023n, 1024n, 1499n, 7_016_025_601n, 2n ** 70n]) {
        expect(await again.entries('pc-many', 0, from)).toEqual(sorted.filter((e) => BigInt(e.pane) >= from));
      }
      // A second write overwrites some panes and adds others next to the stored ones.
      const later = [
        pane(0, 'amount_sum', -1024n, 99),
        pane(0, 'amount_sum', 1n, 99),
        pane(0, 'amount_sum', 5000n, 9),
      ];
      await again.write('pc-many', [write(status(0), later)]);
      const merged = new Map(sorted.map((e) => [`${e.metric}/${e.pane}`, e]));
      for (const e of later) merged.set(`${e.metric}/${e.pane}`, e);
      const want = [...merged.values()].sort((a, b) =>
        a.metric !== b.metric ? (a.metric < b.metric ? -1 : 1) : BigInt(a.pane) < BigInt(b.pane) ? -1 : 1,
      );
      expect(await again.entries('pc-many', 0)).toEqual(want);
      await again.close();
    });

    it('upserts: a later write overwrites its panes and status, keeps the other panes', async () => {
      const h = harness();
      const store = await h.open();
      await store.write('pc-up', [
        write(status(0, { coveredTo: { tsNs: 5n, seq: 5n } }), [
          pane(0, 'amount_sum', 1n, 1),
          pane(0, 'amount_sum', 2n, 2),
        ]),
      ]);
      const later = status(0, { coveredTo: { tsNs: 9n, seq: 9n } });
      await store.write('pc-up', [
        write(later, [pane(0, 'amount_sum', 2n, 20), pane(0, 'amount_sum', 3n, 3)]),
      ]);
      await store.close();
      const again = await h.open();
      expect(await again.entries('pc-up', 0)).toEqual([
        pane(0, 'amount_sum', 1n, 1),
        pane(0, 'amount_sum', 2n, 20),
        pane(0, 'amount_sum', 3n, 3),
      ]);
      expect((await again.statuses('pc-up')).get(0)).toEqual(later);
      await again.close();
    });

    it("clear replaces the partition's panes; other partitions and their statuses are untouched", async () => {
      const store = await harness().open();
      await store.write('pc-clear', [
        write(status(0), [pane(0, 'amount_sum', 1n), pane(0, 'amount_sum', 2n)]),
        write(status(1), [pane(1, 'amount_sum', 1n)]),
      ]);
      const invalid = status(0, { complete: false, coveredTo: null });
      await store.write('pc-clear', [write(invalid, [], true)]);
      expect(await store.entries('pc-clear', 0)).toEqual([]);
      expect((await store.statuses('pc-clear')).get(0)).toEqual(invalid);
      expect(await store.entries('pc-clear', 1)).toEqual([pane(1, 'amount_sum', 1n)]);
      expect((await store.statuses('pc-clear')).get(1)).toEqual(status(1));
      // Clear and upsert in one write: only the new panes remain.
      await store.write('pc-clear', [write(status(1), [pane(1, 'amount_sum', 7n, 7)], true)]);
      expect(await store.entries('pc-clear', 1)).toEqual([pane(1, 'amount_sum', 7n, 7)]);
      await store.close();
    });

    it('keeps jobs and partitions apart', async () => {
      const store = await harness().open();
      await store.write('pc-a', [write(status(0), [pane(0, 'amount_sum', 1n, 1)])]);
      await store.write('pc-b', [write(status(0), [pane(0, 'amount_sum', 1n, 2)], true)]);
      await store.write('pc-a', [write(status(3), [pane(3, 'amount_sum', 1n, 3)])]);
      expect(await store.entries('pc-a', 0)).toEqual([pane(0, 'amount_sum', 1n, 1)]);
      expect(await store.entries('pc-b', 0)).toEqual([pane(0, 'amount_sum', 1n, 2)]);
      expect(await store.entries('pc-a', 3)).toEqual([pane(3, 'amount_sum', 1n, 3)]);
      expect(await store.entries('pc-a', 1)).toEqual([]);
      expect([...(await store.statuses('pc-a')).keys()].sort()).toEqual([0, 3]);
      expect([...(await store.statuses('pc-b')).keys()]).toEqual([0]);
      await store.close();
    });

    it('concurrent writes from one process all land', async () => {
      const h = harness();
      const store = await h.open();
      await Promise.all(
        Array.from({ length: 8 }, (_, p) =>
          store.write('pc-conc', [write(status(p), [pane(p, 'amount_sum', BigInt(p), p)])]),
        ),
      );
      await store.close();
      const again = await h.open();
      expect((await again.statuses('pc-conc')).size).toBe(8);
      for (let p = 0; p < 8; p++)
        expect(await again.entries('pc-conc', p)).toEqual([pane(p, 'amount_sum', BigInt(p), p)]);
      await again.close();
    });
  });
}
