import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_BYTES,
  BUILTIN_EVENTS,
  comparePanes,
  diffSnapshots,
  diffWindows,
  MonoidError,
  mergeSnapshots,
  PaneFolder,
  panesToWindows,
} from '../../src/monoid/index.js';

const Q = 1_000_000_000n; // 1 s panes keep the arithmetic readable
const sec = (s: number): bigint => BigInt(s) * Q;

function folder(events: Array<[partition: number, second: number, bytes: number]>): PaneFolder {
  const f = new PaneFolder({ paneNs: Q, metrics: [{ name: 'users', kind: 'distinct', field: '$.u' }] });
  for (const [p, s, b] of events) f.add(p, sec(s) + 1n, b, { u: `u${b}` });
  return f;
}

describe('diffSnapshots', () => {
  const sourceEvents: Array<[number, number, number]> = [
    [0, 10, 1],
    [0, 10, 2],
    [0, 11, 3],
    [0, 12, 4],
    [1, 10, 5],
    [1, 20, 6],
  ];

  it('reports identical snapshots as such', () => {
    const d = diffSnapshots(folder(sourceEvents).snapshot(), folder(sourceEvents).snapshot());
    expect(d).toEqual({
      compared: 15,
      identical: 15,
      divergent: [],
      missingInTarget: [],
      missingInSource: [],
    });
  });

  it('names the divergent and missing panes', () => {
    // The target lost event 2 (partition 0, pane 10) and all of pane 12, and holds an extra
    // pane 30 in partition 1.
    const target = folder([
      [0, 10, 1],
      [0, 11, 3],
      [1, 10, 5],
      [1, 20, 6],
      [1, 30, 7],
    ]);
    const d = diffSnapshots(folder(sourceEvents).snapshot(), target.snapshot());
    expect(d.divergent).toEqual([
      { partition: 0, metric: BUILTIN_EVENTS, pane: 10n, source: 2, target: 1 },
      { partition: 0, metric: BUILTIN_BYTES, pane: 10n, source: 3, target: 1 },
      { partition: 0, metric: 'users', pane: 10n, source: 2, target: 1 },
    ]);
    expect(d.missingInTarget).toEqual([
      { partition: 0, metric: BUILTIN_EVENTS, pane: 12n },
      { partition: 0, metric: BUILTIN_BYTES, pane: 12n },
      { partition: 0, metric: 'users', pane: 12n },
    ]);
    expect(d.missingInSource.map((k) => [k.partition, k.pane])).toEqual([
      [1, 30n],
      [1, 30n],
      [1, 30n],
    ]);
    expect(d.compared).toBe(12);
    expect(d.identical).toBe(9);

    expect(diffWindows(d, Q, { partition: 0 })).toEqual([
      { startNs: sec(10), endNs: sec(11) },
      { startNs: sec(12), endNs: sec(13) },
    ]);
    expect(diffWindows(d, Q, { partition: 1 })).toEqual([{ startNs: sec(30), endNs: sec(31) }]);
    expect(diffWindows(d, Q)).toEqual([
      { startNs: sec(10), endNs: sec(11) },
      { startNs: sec(12), endNs: sec(13) },
      { startNs: sec(30), endNs: sec(31) },
    ]);
  });

  it('can restrict the comparison to some metrics, and merges snapshots with different metric sets', () => {
    const source = folder(sourceEvents).snapshot();
    const builtinsOnly = new PaneFolder({ paneNs: Q });
    for (const [p, s, b] of sourceEvents) builtinsOnly.add(p, sec(s) + 1n, b);
    const target = builtinsOnly.snapshot();
    expect(diffSnapshots(source, target).missingInTarget).toHaveLength(5);
    const d = diffSnapshots(source, target, { metrics: [BUILTIN_EVENTS, BUILTIN_BYTES] });
    expect(d).toEqual({
      compared: 10,
      identical: 10,
      divergent: [],
      missingInTarget: [],
      missingInSource: [],
    });
    const merged = mergeSnapshots(target, source);
    expect(merged.metrics.map((m) => m.name)).toEqual([BUILTIN_EVENTS, BUILTIN_BYTES, 'users']);
    expect(merged.entries.filter((e) => e.metric === BUILTIN_EVENTS).map((e) => e.state)).toEqual([
      4, 2, 2, 2, 2,
    ]);
  });

  it('refuses to compare snapshots with different pane widths or metric definitions', () => {
    const a = folder(sourceEvents).snapshot();
    const b = new PaneFolder({ paneNs: Q * 2n }).snapshot();
    expect(() => diffSnapshots(a, b)).toThrow(/pane width differs/);
    const c = new PaneFolder({
      paneNs: Q,
      metrics: [{ name: 'users', kind: 'distinct', field: '$.u', mode: 'hll' }],
    }).snapshot();
    expect(() => mergeSnapshots(a, c)).toThrow(MonoidError);
    expect(() => diffSnapshots(a, { ...a, format: 'nope' } as never)).toThrow(/not a pane snapshot/);
  });
});

describe('panesToWindows', () => {
  it('merges adjacent and duplicate panes into half-open windows, sorted', () => {
    expect(panesToWindows([5n, 3n, 4n, 4n, 9n, -1n, 0n], 10n)).toEqual([
      { startNs: -10n, endNs: 10n },
      { startNs: 30n, endNs: 60n },
      { startNs: 90n, endNs: 100n },
    ]);
    expect(panesToWindows([], 10n)).toEqual([]);
  });
});

describe('comparePanes', () => {
  it('orders decimal panes exactly as BigInt does, short, 15/16-digit and wide, negative too (property)', () => {
    const pane = fc.oneof(
      fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
      fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
      fc.constantFrom(999_999_999_999_999n, 1_000_000_000_000_000n, 9_007_199_254_740_993n, -1n, 0n),
    );
    fc.assert(
      fc.property(pane, pane, (a, b) => {
        const want = a === b ? 0 : a < b ? -1 : 1;
        expect(comparePanes(a.toString(), b.toString())).toBe(want);
      }),
      { numRuns: 2000 },
    );
  });
});
