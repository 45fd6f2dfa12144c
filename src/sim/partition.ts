/**
 * One emulated CEPtra partition: the commit→apply ring, the watermark, dedup tables and the
 * ground-truth counters. Everything here is plain fields and typed arrays: the ingest path of a
 * 1,000-event batch touches no Map other than the dedup tables and no prom-client object
 * (metrics read these fields at scrape time).
 */
import type { MetricDef } from '../monoid/index.js';
import { AppliedLog } from './applied-log.js';
import type { FaultState } from './faults.js';
import { IdDigest } from './hash.js';
import { IdTable } from './id-table.js';
import { PartitionFold } from './pane-fold.js';
import { formatTsNs } from './ts.js';
import { EventKind, type Knobs, type PartitionStats } from './types.js';

export class PartitionState {
  // --- commit→apply ring (parallel arrays, head + depth) ---
  private readonly ids: (string | undefined)[];
  private readonly tsMs: Float64Array;
  private readonly tsSub: Int32Array;
  private readonly flagSet: Uint16Array;
  private readonly kind: Uint8Array;
  private readonly commitAt: Float64Array;
  /** IdTable slot of a client/REPLAY event (-1 for live-generator events). */
  private readonly slot: Int32Array;
  /** What the pane fold needs at apply: decoded payload length, and the payload projection
   * (only while field metrics are configured; null until the first one). */
  private readonly bytes: Float64Array;
  private fields: unknown[] | null = null;
  private head = 0;
  depth = 0;
  committedIndex = 0;
  appliedIndex = 0;
  /** Fractional apply credit carried between drain ticks. */
  budget = 0;

  // --- watermark (contract §4); -Infinity = no watermark yet ---
  private hasMax = false;
  private maxMs = 0;
  private maxSub = 0;
  private wmMs = Number.NEGATIVE_INFINITY;
  private wmSub = 0;

  /** Live and replay dedup windows plus the applied ids (detects "applied twice"). */
  readonly idTable: IdTable;
  knobs: Knobs;

  // --- ground truth ---
  applied = 0;
  lateDropped = 0;
  readonly rejected = new Map<string, number>();
  readonly transient = new Map<string, number>();
  dupEventId = 0;
  dupReplaySeq = 0;
  divergent = 0;
  replayApplied = 0;
  liveApplied = 0;
  clientApplied = 0;
  replayOutOfOrder = 0;
  appliedTwice = 0;
  pastSkew = 0;
  private hasLastReplay = false;
  private lastReplayMs = 0;
  private lastReplaySub = 0;
  private first: { ts_ns: string; event_id: string } | null = null;
  private lastId = '';
  private lastMs = 0;
  private lastSub = 0;
  readonly digest = new IdDigest();
  readonly log: AppliedLog | null;
  /** Pane aggregates of the applied client/REPLAY events (GET /sim/panes). */
  readonly fold: PartitionFold;

  constructor(
    readonly id: number,
    readonly capacity: number,
    knobs: Knobs,
    private readonly idleGraceMs: number,
    keepLog: boolean,
    verifyMetrics: readonly MetricDef[],
  ) {
    this.ids = new Array<string | undefined>(capacity).fill(undefined);
    this.tsMs = new Float64Array(capacity);
    this.tsSub = new Int32Array(capacity);
    this.flagSet = new Uint16Array(capacity);
    this.kind = new Uint8Array(capacity);
    this.commitAt = new Float64Array(capacity);
    this.slot = new Int32Array(capacity);
    this.bytes = new Float64Array(capacity);
    this.fold = new PartitionFold(id, knobs.pane_size_ms, verifyMetrics);
    this.knobs = knobs;
    this.idTable = new IdTable(knobs.dedup_capacity_per_partition);
    this.log = keepLog ? new AppliedLog() : null;
  }

  setKnobs(k: Knobs): void {
    // Widening (or narrowing) L re-bases the watermark on the new L at the next apply. With a
    // strictly monotonic WM the runbook's "widen L, then replay into a live cluster" could never
    // work, because live traffic has already pushed WM to now − L_old.
    if (k.lateness_allowance_ms !== this.knobs.lateness_allowance_ms) this.wmMs = Number.NEGATIVE_INFINITY;
    if (k.dedup_capacity_per_partition !== this.knobs.dedup_capacity_per_partition)
      this.idTable.setCapacity(k.dedup_capacity_per_partition);
    this.knobs = k;
  }

  get full(): boolean {
    return this.depth >= this.capacity;
  }

  /**
   * Commits one event to the ring; the caller checked `full`. `slot`: the event's IdTable slot
   * (client/REPLAY) or -1 (live generator); `bytes` / `fields`: payload length and projection
   * for the pane fold (`fields` undefined without field metrics). Returns the committed index.
   */
  enqueue(
    id: string,
    ms: number,
    sub: number,
    flagSet: number,
    kind: EventKind,
    nowMono: number,
    slot: number,
    bytes: number,
    fields: unknown,
  ): number {
    let i = this.head + this.depth;
    if (i >= this.capacity) i -= this.capacity;
    this.ids[i] = id;
    this.tsMs[i] = ms;
    this.tsSub[i] = sub;
    this.flagSet[i] = flagSet;
    this.kind[i] = kind;
    this.commitAt[i] = nowMono;
    this.slot[i] = slot;
    this.bytes[i] = bytes;
    if (fields !== undefined) {
      if (this.fields === null) this.fields = new Array<unknown>(this.capacity);
      this.fields[i] = fields;
    } else if (this.fields !== null) this.fields[i] = undefined;
    this.depth++;
    return ++this.committedIndex;
  }

  /** Age (ms) of the oldest committed-but-unapplied event; 0 when the ring is empty. */
  applyLagMs(nowMono: number): number {
    return this.depth === 0 ? 0 : Math.max(0, nowMono - this.commitAt[this.head]!);
  }

  /** WM = max(WM_prev, min(max_ts_seen − L, now − G)); mutates the stored WM. */
  private advanceWatermark(nowWallMs: number): void {
    if (!this.hasMax) return;
    let cMs = this.maxMs - this.knobs.lateness_allowance_ms;
    let cSub = this.maxSub;
    const gMs = nowWallMs - this.idleGraceMs;
    if (gMs < cMs || (gMs === cMs && cSub > 0)) {
      cMs = gMs;
      cSub = 0;
    }
    if (cMs > this.wmMs || (cMs === this.wmMs && cSub > this.wmSub)) {
      this.wmMs = cMs;
      this.wmSub = cSub;
    }
  }

  /** Current watermark as a decimal ns string, or null before the first applied event. */
  watermarkTsNs(nowWallMs: number): string | null {
    this.advanceWatermark(nowWallMs);
    if (this.wmMs === Number.NEGATIVE_INFINITY) return null;
    return this.wmMs < 0 ? '0' : formatTsNs(this.wmMs, this.wmSub);
  }

  /**
   * Applies up to `n` events from the head of the ring (late ones are dropped, counted) and folds
   * the applied client/REPLAY events into panes. Apply faults (verification tests): an id matching
   * `dropApplyRe` is neither applied nor folded; one matching `duplicateApplyRe` is both, twice.
   */
  drain(n: number, nowWallMs: number, faults: FaultState): void {
    const cap = this.capacity;
    const fieldsCol = this.fields;
    for (let k = 0; k < n && this.depth > 0; k++) {
      const i = this.head;
      const id = this.ids[i]!;
      const ms = this.tsMs[i]!;
      const sub = this.tsSub[i]!;
      const kind = this.kind[i]!;
      const slot = this.slot[i]!;
      let fields: unknown;
      if (fieldsCol !== null) {
        fields = fieldsCol[i];
        fieldsCol[i] = undefined;
      }
      this.ids[i] = undefined;
      this.head = i + 1 === cap ? 0 : i + 1;
      this.depth--;
      this.appliedIndex++;
      this.advanceWatermark(nowWallMs);
      if (ms < this.wmMs || (ms === this.wmMs && sub <= this.wmSub)) this.lateDropped++;
      else if (kind === EventKind.Live) this.applyOne(id, ms, sub, kind, this.flagSet[i]!, slot);
      else if (faults.dropApplyRe?.test(id)) {
        faults.injected.apply_dropped++;
        if (slot >= 0) this.idTable.forget(slot);
      } else {
        const times = faults.duplicateApplyRe?.test(id) ? 2 : 1;
        if (times === 2) faults.injected.apply_duplicated++;
        for (let t = 0; t < times; t++) {
          this.applyOne(id, ms, sub, kind, this.flagSet[i]!, slot);
          this.fold.add(ms, this.bytes[i]!, fields);
        }
      }
      if (slot >= 0) this.idTable.release(slot);
    }
  }

  private applyOne(id: string, ms: number, sub: number, kind: number, flagSet: number, slot: number): void {
    if (!this.hasMax || ms > this.maxMs || (ms === this.maxMs && sub > this.maxSub)) {
      this.hasMax = true;
      this.maxMs = ms;
      this.maxSub = sub;
    }
    this.applied++;
    if (kind === EventKind.Live) this.liveApplied++;
    else {
      if (this.idTable.markApplied(slot)) this.appliedTwice++;
      if (kind === EventKind.Replay) {
        this.replayApplied++;
        // Out of order = a REPLAY apply whose ts_ns is below the previous REPLAY apply's ts_ns in
        // this partition (live events interleaved in between are ignored; equal ts is in order).
        if (
          this.hasLastReplay &&
          (ms < this.lastReplayMs || (ms === this.lastReplayMs && sub < this.lastReplaySub))
        )
          this.replayOutOfOrder++;
        this.hasLastReplay = true;
        this.lastReplayMs = ms;
        this.lastReplaySub = sub;
      } else this.clientApplied++;
    }
    if (this.first === null) this.first = { ts_ns: formatTsNs(ms, sub), event_id: id };
    this.lastId = id;
    this.lastMs = ms;
    this.lastSub = sub;
    this.digest.add(id);
    this.log?.push(id, ms, sub, flagSet);
  }

  countReason(map: Map<string, number>, reason: string): void {
    map.set(reason, (map.get(reason) ?? 0) + 1);
  }

  stats(): PartitionStats {
    return {
      partition_id: this.id,
      committed: this.committedIndex,
      applied: this.applied,
      late_dropped: this.lateDropped,
      rejected: Object.fromEntries(this.rejected),
      transient: Object.fromEntries(this.transient),
      duplicates_event_id: this.dupEventId,
      duplicates_replay_seq: this.dupReplaySeq,
      divergent: this.divergent,
      replay_applied: this.replayApplied,
      live_applied: this.liveApplied,
      client_applied: this.clientApplied,
      replay_out_of_order: this.replayOutOfOrder,
      applied_twice: this.appliedTwice,
      past_skew: this.pastSkew,
      queue_depth: this.depth,
      first_applied: this.first,
      last_applied:
        this.applied === 0 ? null : { ts_ns: formatTsNs(this.lastMs, this.lastSub), event_id: this.lastId },
      digest: this.digest.hex(),
    };
  }
}
