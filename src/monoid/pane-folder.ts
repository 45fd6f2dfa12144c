import { ExactSum } from './exact-sum.js';
import { compileJsonPath, extractPath, type JsonPath } from './json-path.js';
import { type MetricDef, type PaneFolderOptions, resolvePaneFolderOptions } from './options.js';
import { countMonoid } from './reducers/count.js';
import { sumMonoid } from './reducers/sum.js';
import { canonicalDef, inputFor, reducerFor } from './registry.js';
import { type PaneEntry, type PaneSnapshot, SNAPSHOT_FORMAT } from './snapshot-types.js';
import type { AnyMonoid } from './types.js';

/** floor(ts / q) for bigints (BigInt `/` truncates toward zero; panes floor, also before 1970). */
export function paneOf(tsNs: bigint, paneNs: bigint): bigint {
  const p = tsNs / paneNs;
  return tsNs < 0n && p * paneNs !== tsNs ? p - 1n : p;
}

interface PaneCell {
  events: number;
  bytes: ExactSum;
  /** Extra metrics' states; `undefined` = identity (allocated on first input: an HLL is 16 KiB). */
  states: unknown[];
}

interface PartitionPanes {
  panes: Map<bigint, PaneCell>;
  /** The pane of the previous event, [start, end) in ns: events arrive in time order per partition,
   * so two bigint compares usually replace a bigint division and a Map lookup. */
  start: bigint;
  end: bigint;
  cell: PaneCell | null;
}

const count = countMonoid();
const sum = sumMonoid();

/**
 * Folds events into pane aggregates keyed by (partition, metric, pane), pane = floor(ts_ns / q),
 * left-closed right-open (a timestamp exactly on a pane edge belongs to the later pane).
 * Always folds the built-ins `ingest_events_total` (count) and `ingest_payload_bytes` (sum of
 * payload length); configured metrics read a field from the parsed payload.
 * Not thread-safe; use one folder per worker and merge their snapshots.
 */
export class PaneFolder {
  readonly paneNs: bigint;
  readonly metrics: readonly MetricDef[];
  private readonly extra: readonly MetricDef[];
  private readonly reducers: readonly AnyMonoid[];
  private readonly paths: readonly JsonPath[];
  private readonly parts = new Map<number, PartitionPanes>();
  private lastPartition = Number.NaN;
  private last: PartitionPanes | null = null;

  constructor(options: Partial<PaneFolderOptions> = {}) {
    const resolved = resolvePaneFolderOptions(options);
    this.paneNs = resolved.paneNs;
    this.metrics = resolved.metrics;
    this.extra = resolved.metrics.slice(2);
    this.reducers = this.extra.map(reducerFor);
    this.paths = this.extra.map((m) => (m.field === undefined ? [] : compileJsonPath(m.field)));
  }

  /**
   * Folds one event. `payload` is the already-parsed payload; it is read only when field
   * metrics are configured (pass undefined otherwise, and no parsing is needed at all).
   */
  add(partition: number, tsNs: bigint, payloadBytes: number, payload?: unknown): void {
    const pp = partition === this.lastPartition ? this.last! : this.partitionPanes(partition);
    const cell = tsNs >= pp.start && tsNs < pp.end ? pp.cell! : this.locate(pp, tsNs);
    cell.events++;
    cell.bytes.add(payloadBytes);
    const n = this.extra.length;
    if (n === 0) return;
    for (let i = 0; i < n; i++) {
      const def = this.extra[i]!;
      const path = this.paths[i]!;
      const input = inputFor(def, path.length === 0 ? payload : extractPath(payload, path));
      if (input === undefined) continue;
      const r = this.reducers[i]!;
      cell.states[i] = r.add(cell.states[i] ?? r.identity(), input);
    }
  }

  /** Number of (partition, pane) cells held. */
  get paneCount(): number {
    let n = 0;
    for (const pp of this.parts.values()) n += pp.panes.size;
    return n;
  }

  clear(): void {
    this.parts.clear();
    this.last = null;
    this.lastPartition = Number.NaN;
  }

  /** Deterministic, serializable view of everything folded so far (the folder keeps its state). */
  snapshot(): PaneSnapshot {
    return this.build(null);
  }

  /**
   * Snapshot of the panes that end at or before `untilNs` (complete once every partition's
   * stream has passed `untilNs`), removing them from the folder — so memory stays flat over a
   * long replay. Merging successive drains with a final `snapshot()` gives exactly the snapshot
   * of folding everything at once (panes never straddle two drains).
   */
  drain(untilNs: bigint): PaneSnapshot {
    const lastPane = paneOf(untilNs, this.paneNs) - 1n; // pane p ends at (p + 1)·q ≤ untilNs
    const out = this.build(lastPane);
    for (const pp of this.parts.values()) {
      for (const pane of pp.panes.keys()) if (pane <= lastPane) pp.panes.delete(pane);
      pp.start = 0n;
      pp.end = 0n;
      pp.cell = null;
    }
    return out;
  }

  private build(lastPane: bigint | null): PaneSnapshot {
    const order = this.metrics.map((m, i) => ({ m, i })).sort((a, b) => (a.m.name < b.m.name ? -1 : 1));
    const entries: PaneEntry[] = [];
    const partitions = Array.from(this.parts.keys()).sort((a, b) => a - b);
    for (const partition of partitions) {
      const panes = Array.from(this.parts.get(partition)!.panes)
        .filter(([pane]) => lastPane === null || pane <= lastPane)
        .sort((a, b) => (a[0] < b[0] ? -1 : 1));
      for (const { m, i } of order) {
        for (const [pane, cell] of panes) {
          entries.push({
            partition,
            metric: m.name,
            pane: pane.toString(),
            state: this.serializeCell(cell, i),
          });
        }
      }
    }
    return {
      format: SNAPSHOT_FORMAT,
      paneNs: this.paneNs.toString(),
      metrics: order.map(({ m }) => canonicalDef(m)),
      entries,
    };
  }

  private serializeCell(cell: PaneCell, metricIndex: number) {
    if (metricIndex === 0) return count.serialize(cell.events);
    if (metricIndex === 1) return sum.serialize(cell.bytes);
    const r = this.reducers[metricIndex - 2]!;
    return r.serialize(cell.states[metricIndex - 2] ?? r.identity());
  }

  private partitionPanes(partition: number): PartitionPanes {
    let pp = this.parts.get(partition);
    if (pp === undefined) {
      pp = { panes: new Map(), start: 0n, end: 0n, cell: null };
      this.parts.set(partition, pp);
    }
    this.lastPartition = partition;
    this.last = pp;
    return pp;
  }

  private locate(pp: PartitionPanes, tsNs: bigint): PaneCell {
    const pane = paneOf(tsNs, this.paneNs);
    let cell = pp.panes.get(pane);
    if (cell === undefined) {
      cell = { events: 0, bytes: new ExactSum(), states: new Array(this.extra.length).fill(undefined) };
      pp.panes.set(pane, cell);
    }
    pp.start = pane * this.paneNs;
    pp.end = pp.start + this.paneNs;
    pp.cell = cell;
    return cell;
  }
}
