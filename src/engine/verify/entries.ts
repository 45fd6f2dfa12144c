/** Helpers over pane entries: canonical order, grouping, and building a snapshot from parts. */
import {
  builtinMetrics,
  canonicalDef,
  compareEntries,
  type MetricDef,
  type PaneEntry,
  type PaneSnapshot,
  SNAPSHOT_FORMAT,
} from '../../monoid/index.js';

/** Canonical, name-sorted metric list of a fold spec (the built-ins included). */
export function canonicalMetrics(metrics: readonly MetricDef[]): MetricDef[] {
  return [...builtinMetrics, ...metrics].map(canonicalDef).sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function sameMetrics(a: readonly MetricDef[], b: readonly MetricDef[]): boolean {
  return JSON.stringify(a.map(canonicalDef)) === JSON.stringify(b.map(canonicalDef));
}

export function snapshotOf(
  paneNs: bigint,
  metrics: readonly MetricDef[],
  entries: PaneEntry[],
): PaneSnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    paneNs: paneNs.toString(),
    metrics: canonicalMetrics(metrics.filter((m) => !builtinMetrics.some((b) => b.name === m.name))),
    entries: [...entries].sort(compareEntries),
  };
}

export function byPartition(entries: readonly PaneEntry[]): Map<number, PaneEntry[]> {
  const out = new Map<number, PaneEntry[]>();
  for (const e of entries) {
    const list = out.get(e.partition);
    if (list === undefined) out.set(e.partition, [e]);
    else list.push(e);
  }
  return out;
}

/** Snapshot order: (partition, metric name, pane numerically); defined with the snapshot (monoid). */
export { compareEntries };
