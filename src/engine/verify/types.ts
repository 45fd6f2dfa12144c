/**
 * Types of the verification folder: stored source-side folds and their coverage, and the
 * `PaneStore` port (adapters in src/stores: Postgres tables or `<state file>.panes.ndjson`).
 */
import type { MetricDef, PaneEntry } from '../../monoid/index.js';

/** Where a partition's stored fold ends: the cursor position of its last folded event. */
export interface FoldPosition {
  tsNs: bigint;
  seq: bigint;
}

/**
 * Coverage of one partition's stored source-side fold. `complete` = the stored panes are exactly
 * the fold of the partition's events from the start of its window(s) up to and including
 * `coveredTo` (null: up to nothing, i.e. before the first event). `complete: false` = unknown
 * coverage (a crash left the fold behind the cursor, a run failed, the fold spec changed): the
 * stored panes must not be used and `verify` re-reads the partition from the source.
 */
export interface FoldStatus {
  partition: number;
  complete: boolean;
  coveredTo: FoldPosition | null;
  /** Pane width and canonical metric definitions the panes were folded with. */
  paneNs: bigint;
  metrics: MetricDef[];
}

/** One partition's change, applied atomically with the others of the same `write`. */
export interface FoldWrite {
  status: FoldStatus;
  /** Delete the partition's stored panes first (a replaced or invalidated fold). */
  clear: boolean;
  /** Panes to insert or overwrite (already merged with what was stored). */
  upsert: PaneEntry[];
}

/** Durable source-side folds, keyed by (job, partition, metric, pane). */
export interface PaneStore {
  /** Prepare storage (schema migrations, files); safe to call concurrently from several processes. */
  init(): Promise<void>;
  statuses(job: string): Promise<Map<number, FoldStatus>>;
  /** Stored panes of a partition, optionally only panes ≥ `fromPane`, sorted by (metric, pane). */
  entries(job: string, partition: number, fromPane?: bigint): Promise<PaneEntry[]>;
  write(job: string, writes: readonly FoldWrite[]): Promise<void>;
  close(): Promise<void>;
}

export function samePosition(a: FoldPosition | null, b: FoldPosition | null): boolean {
  if (a === null || b === null) return a === b;
  return a.tsNs === b.tsNs && a.seq === b.seq;
}
