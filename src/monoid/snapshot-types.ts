import type { MetricDef } from './options.js';
import type { Json } from './types.js';

export const SNAPSHOT_FORMAT = 'ceptra-replay.panes/1';

/** One (partition, metric, pane) aggregate; `pane` is the decimal text of floor(ts_ns / paneNs). */
export interface PaneEntry {
  partition: number;
  metric: string;
  pane: string;
  state: Json;
}

/**
 * Serializable fold result. Deterministic: metrics sorted by name, entries sorted by
 * (partition, metric name, pane), states canonical — so the same events give the same
 * `JSON.stringify` bytes whatever the batch or worker split.
 */
export interface PaneSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  paneNs: string;
  metrics: MetricDef[];
  entries: PaneEntry[];
}

export interface PaneKey {
  partition: number;
  metric: string;
  pane: bigint;
}

export interface DivergentPane extends PaneKey {
  /** The reducers' results, for people; the comparison itself is on the canonical states. */
  source: unknown;
  target: unknown;
}

export interface SnapshotDiff {
  /** Keys present on both sides. */
  compared: number;
  identical: number;
  divergent: DivergentPane[];
  missingInTarget: PaneKey[];
  missingInSource: PaneKey[];
}
