import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_BYTES,
  BUILTIN_EVENTS,
  type MetricDef,
  MonoidError,
  mergeSnapshots,
  PaneFolder,
  type PaneSnapshot,
  paneOf,
} from '../../src/monoid/index.js';

const Q = 250_000_000n;

interface Ev {
  partition: number;
  tsNs: bigint;
  bytes: number;
  payload: unknown;
}

const fieldMetrics: MetricDef[] = [
  { name: 'amount_sum', kind: 'sum', field: '$.amount' },
  { name: 'amount_avg', kind: 'avg', field: '$.amount' },
  { name: 'amount_min', kind: 'min', field: '$.amount' },
  { name: 'amount_max', kind: 'max', field: '$.amount' },
  { name: 'amount_p90', kind: 'quantile', field: '$.amount', q: 0.9 },
  { name: 'amount_p50_kll', kind: 'quantile', field: '$.amount', mode: 'kll' },
  { name: 'top_users', kind: 'topk', field: '$.user', k: 3 },
  { name: 'users', kind: 'distinct', field: '$.user' },
  { name: 'users_hll', kind: 'distinct', field: '$.user', mode: 'hll' },
  { name: 'first_tag_seen', kind: 'count', field: '$.tags[0]' },
];

const event: fc.Arbitrary<Ev> = fc.record({
  partition: fc.integer({ min: 0, max: 3 }),
  // Timestamps clustered around a few pane edges, including exact edges.
  tsNs: fc
    .tuple(fc.integer({ min: -2, max: 12 }), fc.constantFrom(0n, 1n, Q - 1n, Q / 2n))
    .map(([p, o]) => BigInt(p) * Q + o),
  bytes: fc.integer({ min: 0, max: 1 << 20 }),
  payload: fc.record(
    {
      amount: fc.oneof(
        fc.double({ noNaN: true }),
        fc.integer({ min: -1e6, max: 1e6 }).map((i) => i / 1000),
        fc.integer({ min: -100, max: 100 }),
        fc.constant('12'),
      ),
      user: fc.constantFrom('ann', 'bob', 'cy', 'dee', 7),
      tags: fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 }),
    },
    { requiredKeys: [] },
  ),
});

function foldAll(events: readonly Ev[], metrics = fieldMetrics): PaneFolder {
  const f = new PaneFolder({ paneNs: Q, metrics });
  for (const e of events) f.add(e.partition, e.tsNs, e.bytes, e.payload);
  return f;
}

/** Time-ordered per partition, as sources deliver. KLL is deterministic only for one split, so
 * the cross-split property uses the metrics without it. */
const splitInvariant = fieldMetrics.filter((m) => m.mode !== 'kll');

describe('PaneFolder', () => {
  it('assigns panes left-closed, right-open (an edge timestamp goes to the later pane), also before 1970', () => {
    expect(paneOf(0n, Q)).toBe(0n);
    expect(paneOf(Q - 1n, Q)).toBe(0n);
    expect(paneOf(Q, Q)).toBe(1n);
    expect(paneOf(-1n, Q)).toBe(-1n);
    expect(paneOf(-Q, Q)).toBe(-1n);
    expect(paneOf(-Q - 1n, Q)).toBe(-2n);
    const f = new PaneFolder();
    f.add(0, 1_700_000_000_000_000_000n - 1n, 10);
    f.add(0, 1_700_000_000_000_000_000n, 20); // exactly on an edge (divisible by 250 ms)
    f.add(0, 1_700_000_000_000_000_000n + 249_999_999n, 30);
    const s = f.snapshot();
    const edge = (1_700_000_000_000_000_000n / Q).toString();
    const bytes = s.entries.filter((e) => e.metric === BUILTIN_BYTES);
    expect(bytes.map((e) => [e.pane, e.state])).toEqual([
      [(BigInt(edge) - 1n).toString(), '5p1'], // 10 = 5·2^1: odd hex mantissa, binary exponent
      [edge, '19p1'], // 50 = 0x19·2
    ]);
    expect(s.entries.filter((e) => e.metric === BUILTIN_EVENTS).map((e) => e.state)).toEqual([1, 2]);
  });

  it('defaults to 250 ms panes and folds the two built-ins', () => {
    const f = new PaneFolder();
    expect(f.paneNs).toBe(250_000_000n);
    f.add(3, 0n, 5);
    f.add(3, 100n, 7);
    f.add(1, 250_000_000n, 1);
    const s = f.snapshot();
    expect(s.metrics.map((m) => m.name)).toEqual([BUILTIN_EVENTS, BUILTIN_BYTES]);
    expect(s.entries).toEqual([
      { partition: 1, metric: BUILTIN_EVENTS, pane: '1', state: 1 },
      { partition: 1, metric: BUILTIN_BYTES, pane: '1', state: '1p0' },
      { partition: 3, metric: BUILTIN_EVENTS, pane: '0', state: 2 },
      { partition: 3, metric: BUILTIN_BYTES, pane: '0', state: '3p2' },
    ]);
    expect(f.paneCount).toBe(2);
  });

  it('extracts fields and skips values of the wrong type', () => {
    const f = new PaneFolder({ metrics: fieldMetrics });
    f.add(0, 1n, 1, { amount: 5, user: 'ann', tags: ['x'] });
    f.add(0, 2n, 1, { amount: '12', user: 'bob' });
    f.add(0, 3n, 1, { amount: 2.5, user: 'ann', tags: [] });
    f.add(0, 4n, 1, undefined);
    const results = new Map(f.snapshot().entries.map((e) => [e.metric, e.state]));
    expect(results.get('amount_sum')).toBe('fp-1'); // 7.5 = 15·2^-1
    expect(results.get('amount_min')).toBe(2.5);
    expect(results.get('amount_max')).toBe(5);
    expect(results.get('top_users')).toEqual([
      ['ann', 2],
      ['bob', 1],
    ]);
    expect(results.get('users')).toEqual(['ann', 'bob']);
    expect(results.get('first_tag_seen')).toBe(1);
    expect(results.get(BUILTIN_EVENTS)).toBe(4);
  });

  it('snapshots are bit-identical for any batch split and any "worker" split merged back', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 80 }), fc.nat(), fc.nat(), (raw, cut, pick) => {
        const events = [...raw].sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
        const whole = JSON.stringify(foldAll(events, splitInvariant).snapshot());

        // Batch split: two folders over consecutive halves of the stream, merged.
        const c = events.length ? cut % (events.length + 1) : 0;
        const batches = mergeSnapshots(
          foldAll(events.slice(0, c), splitInvariant).snapshot(),
          foldAll(events.slice(c), splitInvariant).snapshot(),
        );
        expect(JSON.stringify(batches)).toBe(whole);

        // Worker split: events dealt to 3 workers by a pseudo-random rule, merged in another order.
        const workers: Ev[][] = [[], [], []];
        events.forEach((e, i) => {
          workers[(i * 7 + pick) % 3]!.push(e);
        });
        const snaps = workers.map((w) => foldAll(w, splitInvariant).snapshot());
        const merged = mergeSnapshots(snaps[2]!, mergeSnapshots(snaps[0]!, snaps[1]!));
        expect(JSON.stringify(merged)).toBe(whole);
      }),
      { numRuns: 150 },
    );
  });

  it('is deterministic run to run with every metric, including KLL', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), (events) => {
        expect(JSON.stringify(foldAll(events).snapshot())).toBe(JSON.stringify(foldAll(events).snapshot()));
      }),
      { numRuns: 50 },
    );
  });

  it('snapshot round-trips through JSON and merges with an empty snapshot to itself', () => {
    const events: Ev[] = Array.from({ length: 500 }, (_, i) => ({
      partition: i % 2,
      tsNs: BigInt(i) * 10_000_000n,
      bytes: 100 + i,
      payload: { amount: i / 7, user: `u${i % 13}` },
    }));
    const s = foldAll(events).snapshot();
    const back = JSON.parse(JSON.stringify(s)) as PaneSnapshot;
    const empty = new PaneFolder({ paneNs: Q, metrics: fieldMetrics }).snapshot();
    expect(JSON.stringify(mergeSnapshots(back, empty))).toBe(JSON.stringify(s));
    expect(JSON.stringify(mergeSnapshots(empty, back))).toBe(JSON.stringify(s));
  });

  it('drain() hands out complete panes and frees them; drains + final snapshot = one snapshot', () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 60 }),
        fc.array(fc.integer({ min: -3, max: 14 }), { maxLength: 3 }),
        (raw, cuts) => {
          const events = [...raw].sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : 0));
          const whole = JSON.stringify(foldAll(events).snapshot());
          const f = new PaneFolder({ paneNs: Q, metrics: fieldMetrics });
          let acc = new PaneFolder({ paneNs: Q, metrics: fieldMetrics }).snapshot();
          let i = 0;
          for (const untilNs of cuts
            .map((c) => BigInt(c) * Q + Q / 3n)
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
            // Feed everything before the drain point, then drain the panes ending at or before it.
            for (; i < events.length && events[i]!.tsNs < untilNs; i++) {
              const e = events[i]!;
              f.add(e.partition, e.tsNs, e.bytes, e.payload);
            }
            const drained = f.drain(untilNs);
            expect(drained.entries.every((e) => (BigInt(e.pane) + 1n) * Q <= untilNs)).toBe(true);
            acc = mergeSnapshots(acc, drained);
          }
          for (; i < events.length; i++) {
            const e = events[i]!;
            f.add(e.partition, e.tsNs, e.bytes, e.payload);
          }
          expect(JSON.stringify(mergeSnapshots(acc, f.snapshot()))).toBe(whole);
        },
      ),
      { numRuns: 100 },
    );
    const f = new PaneFolder();
    f.add(0, 0n, 1);
    f.add(0, Q, 1);
    expect(f.drain(Q).entries.map((e) => e.pane)).toEqual(['0', '0']);
    expect(f.paneCount).toBe(1);
  });

  it('rejects bad metric definitions with a message naming the field', () => {
    const bad = (metrics: MetricDef[]) => () => new PaneFolder({ metrics });
    expect(bad([{ name: 'x', kind: 'sum' }])).toThrow(/metrics\[0\]\.field/);
    expect(bad([{ name: 'x', kind: 'topk', field: '$.a', k: 101 }])).toThrow(
      /metrics\[0\]\.k: must be an integer in \[1, 100\]/,
    );
    expect(bad([{ name: 'x', kind: 'quantile', field: '$.a', q: 1.5 }])).toThrow(/metrics\[0\]\.q/);
    expect(bad([{ name: 'x', kind: 'distinct', field: '$.a', mode: 'kll' }])).toThrow(/metrics\[0\]\.mode/);
    expect(bad([{ name: 'x', kind: 'count', field: 'a.b' }])).toThrow(/must start with '\$'/);
    expect(bad([{ name: BUILTIN_EVENTS, kind: 'count' }])).toThrow(/built-in/);
    expect(() => new PaneFolder({ paneNs: 0n })).toThrow(MonoidError);
  });
});
