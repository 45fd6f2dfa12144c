/**
 * The target's panes, from whatever it exported: the emulator's `GET /sim/panes` answer
 * (`{pane_size_ns, partitions: {"P": snapshot}}`) or a plain `ceptra-replay.panes/1` snapshot
 * file (the contract's "snapshot export" of a real cluster). Partition snapshots become one.
 */
import { ConfigError } from '../../common/errors.js';
import { type PaneEntry, type PaneSnapshot, SNAPSHOT_FORMAT } from '../../monoid/index.js';
import { compareEntries } from './entries.js';

function isSnapshot(v: unknown): v is PaneSnapshot {
  const s = v as PaneSnapshot | null;
  return s?.format === SNAPSHOT_FORMAT && Array.isArray(s.entries) && Array.isArray(s.metrics);
}

export function targetSnapshotFrom(doc: unknown, origin: string): PaneSnapshot {
  if (isSnapshot(doc)) return doc;
  const parts = (doc as { partitions?: unknown } | null)?.partitions;
  if (parts === null || typeof parts !== 'object' || Array.isArray(parts)) {
    throw new ConfigError(
      origin,
      `not a pane export: expected a ${SNAPSHOT_FORMAT} snapshot or {pane_size_ns, partitions: {"P": snapshot}}`,
    );
  }
  const snaps = Object.entries(parts as Record<string, unknown>);
  let paneNs = (doc as { pane_size_ns?: unknown }).pane_size_ns;
  const entries: PaneEntry[] = [];
  let metrics: PaneSnapshot['metrics'] = [];
  for (const [p, s] of snaps) {
    if (!isSnapshot(s)) throw new ConfigError(origin, `partition ${p}: not a ${SNAPSHOT_FORMAT} snapshot`);
    if (s.entries.length === 0) continue; // nothing applied there; its metric list says nothing
    if (typeof paneNs === 'string' && paneNs !== s.paneNs && entries.length > 0)
      throw new ConfigError(origin, `partition ${p} folds ${s.paneNs} ns panes, others ${String(paneNs)} ns`);
    paneNs = s.paneNs;
    metrics = s.metrics;
    entries.push(...s.entries);
  }
  if (typeof paneNs !== 'string' || !/^\d+$/.test(paneNs))
    throw new ConfigError(origin, 'pane export without pane_size_ns');
  if (metrics.length === 0) metrics = snaps.length > 0 ? ((snaps[0]![1] as PaneSnapshot).metrics ?? []) : [];
  return { format: SNAPSHOT_FORMAT, paneNs, metrics, entries: entries.sort(compareEntries) };
}
