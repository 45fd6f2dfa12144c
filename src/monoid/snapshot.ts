import { MonoidError, MonoidErrorCode } from './errors.js';
import type { MetricDef } from './options.js';
import { canonicalDef, reducerFor } from './registry.js';
import {
  type DivergentPane,
  type PaneEntry,
  type PaneKey,
  type PaneSnapshot,
  SNAPSHOT_FORMAT,
  type SnapshotDiff,
} from './snapshot-types.js';
import type { AnyMonoid, TimeWindow } from './types.js';

/** Snapshot order: (partition, metric name, pane numerically). */
export function compareEntries(a: PaneEntry, b: PaneEntry): number {
  if (a.partition !== b.partition) return a.partition - b.partition;
  if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1;
  return comparePanes(a.pane, b.pane);
}

/**
 * Panes (decimal integer strings) numerically. Up to 15 characters a pane is exact as a double
 * (|n| < 10^15 < 2^53), so `Number` compares it; longer ones go through BigInt. Sorting the ~900k
 * entries of a 1M-event fold with BigInt on every comparison took ~0.5 s of the main thread.
 */
export function comparePanes(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length <= 15 && b.length <= 15) return Number(a) < Number(b) ? -1 : 1;
  return BigInt(a) < BigInt(b) ? -1 : 1;
}

function check(s: PaneSnapshot, side: string): void {
  if (s?.format !== SNAPSHOT_FORMAT || !Array.isArray(s.entries) || !Array.isArray(s.metrics)) {
    throw new MonoidError(
      MonoidErrorCode.BadState,
      `${side}: not a pane snapshot (format ${JSON.stringify(s?.format)})`,
    );
  }
}

/** Metric definitions of both sides by name; a name defined differently on each side is an error. */
function unionMetrics(a: PaneSnapshot, b: PaneSnapshot): Map<string, { def: MetricDef; reducer: AnyMonoid }> {
  if (a.paneNs !== b.paneNs) {
    throw new MonoidError(
      MonoidErrorCode.Incompatible,
      `pane width differs: ${a.paneNs} ns vs ${b.paneNs} ns`,
    );
  }
  const out = new Map<string, { def: MetricDef; reducer: AnyMonoid }>();
  for (const d of [...a.metrics, ...b.metrics]) {
    const def = canonicalDef(d);
    const seen = out.get(def.name);
    if (seen === undefined) out.set(def.name, { def, reducer: reducerFor(def) });
    else if (JSON.stringify(seen.def) !== JSON.stringify(def)) {
      throw new MonoidError(
        MonoidErrorCode.Incompatible,
        `metric ${def.name} is defined differently: ${JSON.stringify(seen.def)} vs ${JSON.stringify(def)}`,
      );
    }
  }
  return out;
}

/** Walks two sorted entry lists in step; `fn` gets (a, b) with one side undefined when missing. */
function zip(
  a: PaneEntry[],
  b: PaneEntry[],
  fn: (x: PaneEntry | undefined, y: PaneEntry | undefined) => void,
): void {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i >= a.length ? 1 : j >= b.length ? -1 : compareEntries(a[i]!, b[j]!);
    if (c < 0) fn(a[i++], undefined);
    else if (c > 0) fn(undefined, b[j++]);
    else fn(a[i++], b[j++]);
  }
}

/** merge(a, b) per (partition, metric, pane): "a's events, then b's". Inputs are not modified. */
export function mergeSnapshots(a: PaneSnapshot, b: PaneSnapshot): PaneSnapshot {
  check(a, 'a');
  check(b, 'b');
  const metrics = unionMetrics(a, b);
  const entries: PaneEntry[] = [];
  zip(a.entries, b.entries, (x, y) => {
    if (x === undefined || y === undefined) {
      entries.push((x ?? y)!);
      return;
    }
    const r = metrics.get(x.metric)!.reducer;
    entries.push({ ...x, state: r.serialize(r.merge(r.deserialize(x.state), r.deserialize(y.state))) });
  });
  return {
    format: SNAPSHOT_FORMAT,
    paneNs: a.paneNs,
    metrics: Array.from(metrics.values(), (m) => m.def).sort((p, q) => (p.name < q.name ? -1 : 1)),
    entries,
  };
}

export interface DiffOptions {
  /** Compare only these metrics (e.g. the built-ins, when the target folds nothing else). */
  metrics?: readonly string[];
}

/**
 * Compares source-side and target-side snapshots pane by pane on the canonical states
 * (bit-exact). `compared` counts keys present on both sides.
 */
export function diffSnapshots(
  source: PaneSnapshot,
  target: PaneSnapshot,
  options: DiffOptions = {},
): SnapshotDiff {
  check(source, 'source');
  check(target, 'target');
  const metrics = unionMetrics(source, target);
  const diff: SnapshotDiff = {
    compared: 0,
    identical: 0,
    divergent: [],
    missingInTarget: [],
    missingInSource: [],
  };
  const key = (e: PaneEntry): PaneKey => ({ partition: e.partition, metric: e.metric, pane: BigInt(e.pane) });
  const only = options.metrics === undefined ? null : new Set(options.metrics);
  const pick = (entries: PaneEntry[]) =>
    only === null ? entries : entries.filter((e) => only.has(e.metric));
  zip(pick(source.entries), pick(target.entries), (s, t) => {
    if (t === undefined) diff.missingInTarget.push(key(s!));
    else if (s === undefined) diff.missingInSource.push(key(t));
    else {
      diff.compared++;
      if (JSON.stringify(s.state) === JSON.stringify(t.state)) diff.identical++;
      else {
        const r = metrics.get(s.metric)!.reducer;
        const d: DivergentPane = {
          ...key(s),
          source: r.result(r.deserialize(s.state)),
          target: r.result(r.deserialize(t.state)),
        };
        diff.divergent.push(d);
      }
    }
  });
  return diff;
}

/** Sorted, merged [start, end) windows covering the given panes (adjacent panes join). */
export function panesToWindows(panes: Iterable<bigint>, paneNs: bigint): TimeWindow[] {
  const sorted = Array.from(new Set(panes)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: TimeWindow[] = [];
  for (const p of sorted) {
    const startNs = p * paneNs;
    const last = out[out.length - 1];
    if (last !== undefined && last.endNs === startNs) last.endNs = startNs + paneNs;
    else out.push({ startNs, endNs: startNs + paneNs });
  }
  return out;
}

/**
 * Time windows to re-check or replay: every divergent or missing pane (either side), for one
 * partition or all, merged into [startNs, endNs) windows.
 */
export function diffWindows(
  diff: SnapshotDiff,
  paneNs: bigint,
  options: { partition?: number } = {},
): TimeWindow[] {
  const panes: bigint[] = [];
  for (const list of [diff.divergent, diff.missingInTarget, diff.missingInSource]) {
    for (const k of list)
      if (options.partition === undefined || k.partition === options.partition) panes.push(k.pane);
  }
  return panesToWindows(panes, paneNs);
}
