/**
 * Source-side pane folding during a replay. The runner folds each acknowledged batch (minus the
 * events the target refused) into a small partial snapshot — a handful of panes per batch, since
 * a partition streams in time order — that travels with the ack (across threads: a few hundred
 * bytes of JSON, never the events). The main thread merges partials in contiguous-ack order, so
 * its fold always covers exactly the events up to the partition's cursor.
 */
import {
  BUILTIN_BYTES,
  BUILTIN_EVENTS,
  builtinMetrics,
  canonicalDef,
  compareEntries,
  type MetricDef,
  type PaneEntry,
  PaneFolder,
  type PaneSnapshot,
  paneOf,
  reducerFor,
  SNAPSHOT_FORMAT,
} from '../../monoid/index.js';
import type { SourceEvent } from '../../sources/source.js';

export interface FoldSpec {
  paneNs: bigint;
  /** Payload-field metrics beyond the two built-ins. */
  metrics: readonly MetricDef[];
}

/**
 * The built-ins' partial of one batch as flat `[pane, events, payloadBytes, …]` triples (panes in
 * ascending order). Why not a snapshot: with 250 ms panes a 1,000-event batch of a sparse
 * partition spans hundreds of panes, and building, serializing and merging snapshot entries for
 * them measured ~30 % extra replay CPU (1M events, 16 partitions); plain numbers are exact here
 * (counts and byte sums stay far below 2^53) and cost a few percent.
 */
export type BuiltinPartial = number[];

export function foldBuiltins(
  paneNs: bigint,
  events: readonly SourceEvent[],
  skip?: ReadonlySet<number>,
): BuiltinPartial {
  const out: number[] = [];
  let start = 0n;
  let end = 0n; // empty range: the first event locates its pane
  let at = -3;
  for (let i = 0; i < events.length; i++) {
    if (skip?.has(i)) continue;
    const e = events[i]!;
    const ts = e.tsNs;
    if (!(ts >= start && ts < end)) {
      const pane = paneOf(ts, paneNs);
      start = pane * paneNs;
      end = start + paneNs;
      const p = Number(pane);
      if (at < 0 || out[at] !== p) {
        at = out.length;
        out.push(p, 0, 0);
      }
    }
    out[at + 1]!++;
    out[at + 2]! += e.payload.length;
  }
  return out;
}

export class BatchFolder {
  private readonly folder: PaneFolder;
  private readonly parse: boolean;
  /** Only the built-ins: the fast numeric partial (see BuiltinPartial). */
  readonly builtinsOnly: boolean;

  constructor(private readonly spec: FoldSpec) {
    this.folder = new PaneFolder({ paneNs: spec.paneNs, metrics: spec.metrics });
    // The payload is parsed only when a field metric needs it (never for the built-ins).
    this.parse = spec.metrics.some((m) => m.field !== undefined);
    this.builtinsOnly = spec.metrics.length === 0;
  }

  foldBuiltins(events: readonly SourceEvent[], skip?: ReadonlySet<number>): BuiltinPartial {
    return foldBuiltins(this.spec.paneNs, events, skip);
  }

  /** The partial snapshot entries of one batch; `skip` = indices the target refused. */
  fold(partition: number, events: readonly SourceEvent[], skip?: ReadonlySet<number>): PaneEntry[] {
    this.folder.clear();
    for (let i = 0; i < events.length; i++) {
      if (skip?.has(i)) continue;
      const e = events[i]!;
      let payload: unknown;
      if (this.parse) {
        try {
          payload = JSON.parse(e.payload.toString('utf8'));
        } catch {
          payload = undefined; // not JSON: field metrics skip it, the built-ins still count it
        }
      }
      this.folder.add(partition, e.tsNs, e.payload.length, payload);
    }
    return this.folder.snapshot().entries;
  }
}

/** Main-thread accumulator of partials, keyed by (partition, metric, pane). */
export class PaneAccumulator {
  private readonly defs = new Map<string, { def: MetricDef; reducer: ReturnType<typeof reducerFor> }>();
  private readonly cells = new Map<string, { entry: PaneEntry; state: unknown }>();
  /** Built-ins from the fast path: partition → pane → [events, payload bytes]. */
  private readonly builtins = new Map<number, Map<number, [number, number]>>();

  addBuiltins(partition: number, partial: BuiltinPartial): void {
    let panes = this.builtins.get(partition);
    if (!panes) {
      panes = new Map();
      this.builtins.set(partition, panes);
    }
    for (let i = 0; i < partial.length; i += 3) {
      const cell = panes.get(partial[i]!);
      if (cell) {
        cell[0] += partial[i + 1]!;
        cell[1] += partial[i + 2]!;
      } else panes.set(partial[i]!, [partial[i + 1]!, partial[i + 2]!]);
    }
  }

  constructor(private readonly spec: FoldSpec) {
    for (const def of [...builtinMetrics, ...spec.metrics])
      this.defs.set(def.name, { def, reducer: reducerFor(def) });
  }

  add(entries: readonly PaneEntry[]): void {
    for (const e of entries) {
      const m = this.defs.get(e.metric);
      if (!m) continue;
      const k = `${e.partition}|${e.metric}|${e.pane}`;
      const cell = this.cells.get(k);
      const incoming = m.reducer.deserialize(e.state);
      if (!cell) this.cells.set(k, { entry: e, state: incoming });
      else cell.state = m.reducer.merge(cell.state, incoming);
    }
  }

  /** Forget a partition (its fold restarts, e.g. on `--restart`). */
  dropPartition(partition: number): void {
    for (const [k, c] of this.cells) if (c.entry.partition === partition) this.cells.delete(k);
    this.builtins.delete(partition);
  }

  snapshot(): PaneSnapshot {
    const entries: PaneEntry[] = [];
    // The built-ins' cells serialize exactly as PaneFolder's would (count; exact sum of integers).
    // They are emitted already in snapshot order — partitions ascending, then per metric name
    // its panes ascending (a typed-array sort of numbers) — so with only the built-ins (the
    // default) no comparison sort of the ~2 entries per pane is needed.
    const count = this.defs.get(BUILTIN_EVENTS)!.reducer;
    const sum = this.defs.get(BUILTIN_BYTES)!.reducer;
    const builtinOrder = BUILTIN_EVENTS < BUILTIN_BYTES ? ['events', 'bytes'] : ['bytes', 'events'];
    for (const partition of [...this.builtins.keys()].sort((a, b) => a - b)) {
      const panes = this.builtins.get(partition)!;
      const sorted = Float64Array.from(panes.keys()).sort();
      for (const which of builtinOrder) {
        for (const pane of sorted) {
          const [n, bytes] = panes.get(pane)!;
          entries.push(
            which === 'events'
              ? { partition, metric: BUILTIN_EVENTS, pane: String(pane), state: count.serialize(n) }
              : {
                  partition,
                  metric: BUILTIN_BYTES,
                  pane: String(pane),
                  state: sum.serialize(sum.add(sum.identity(), bytes)),
                },
          );
        }
      }
    }
    for (const c of this.cells.values()) {
      const r = this.defs.get(c.entry.metric)!.reducer;
      entries.push({
        partition: c.entry.partition,
        metric: c.entry.metric,
        pane: c.entry.pane,
        state: r.serialize(c.state),
      });
    }
    if (this.cells.size > 0) entries.sort(compareEntries);
    const metrics = [...this.defs.values()]
      .map((d) => canonicalDef(d.def))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    return { format: SNAPSHOT_FORMAT, paneNs: this.spec.paneNs.toString(), metrics, entries };
  }
}
