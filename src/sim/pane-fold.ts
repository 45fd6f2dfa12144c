/**
 * Pane aggregates of what one partition APPLIED (GET /sim/panes), folded with the monoid module's
 * PaneFolder so the snapshot is byte-compatible with the source-side fold that `verify` diffs it
 * against. Late-dropped, rejected, duplicate and divergent events never reach the apply step, so
 * they are not folded; live-generator traffic is applied but not folded (it has no source side).
 *
 * Fast path: pane = floor(ts_ns / q) = floor(ms / q_ms) exactly (the sub-ms part is < 1 ms), so
 * the fold keeps the current pane as a number and hands PaneFolder that pane's start (a BigInt
 * made once per pane, not per event; PaneFolder locates the same pane from any ts inside it).
 */
import { type MetricDef, PaneFolder, type PaneSnapshot, paneOf } from '../monoid/index.js';

export class PartitionFold {
  private folder: PaneFolder;
  private paneMs: number;
  private metrics: readonly MetricDef[];
  private pane = -1;
  private paneStart = 0n;

  constructor(
    readonly partition: number,
    paneMs: number,
    metrics: readonly MetricDef[],
  ) {
    this.paneMs = paneMs;
    this.metrics = metrics;
    this.folder = new PaneFolder({ paneNs: BigInt(paneMs) * 1_000_000n, metrics });
  }

  get paneNs(): bigint {
    return this.folder.paneNs;
  }

  /**
   * New pane width or metric list: the fold restarts empty (panes of another width or metric set
   * cannot be merged with the old ones). Change them before sending the events to verify.
   */
  configure(paneMs: number, metrics: readonly MetricDef[]): void {
    if (paneMs === this.paneMs && metrics === this.metrics) return;
    this.paneMs = paneMs;
    this.metrics = metrics;
    this.folder = new PaneFolder({ paneNs: BigInt(paneMs) * 1_000_000n, metrics });
    this.pane = -1;
  }

  /** Folds one applied event; `fields` is its payload projection (undefined without field metrics). */
  add(ms: number, payloadBytes: number, fields: unknown): void {
    const pane = Math.floor(ms / this.paneMs);
    if (pane !== this.pane) {
      this.pane = pane;
      this.paneStart = BigInt(pane) * this.folder.paneNs;
    }
    this.folder.add(this.partition, this.paneStart, payloadBytes, fields);
  }

  /** Snapshot restricted to panes that intersect [fromNs, toNs) (either bound optional). */
  snapshot(fromNs: bigint | null, toNs: bigint | null): PaneSnapshot {
    const s = this.folder.snapshot();
    if (fromNs === null && toNs === null) return s;
    const q = this.folder.paneNs;
    const lo = fromNs === null ? null : paneOf(fromNs, q);
    const hi = toNs === null ? null : paneOf(toNs - 1n, q);
    s.entries = s.entries.filter((e) => {
      const p = BigInt(e.pane);
      return (lo === null || p >= lo) && (hi === null || p <= hi);
    });
    return s;
  }
}
