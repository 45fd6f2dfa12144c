/**
 * The k-way merge of one scan (pure: no client, no I/O). Input: mapped records per topic-partition
 * (tp), each tp in offset order, the tps interleaved in any order. Output: per CEPtra partition,
 * batches whose in-order events are strictly `(tsNs, eventId)` ascending (ids compared as JS
 * strings), each with its resume token (token.ts).
 *
 * Disorder. Per tp, `maxSeen` is the newest event time among the records before the current one.
 * A record older than `maxSeen − maxDisorder` is out of order beyond the bound (OOO): reported as
 * a poison row `OUT_OF_ORDER_SOURCE` (onDisorder dead-letter) or sent at once as a batch of its
 * own (onDisorder send). Every other record is in-bound and waits in its partition's reorder heap
 * until `tsNs < F`, `F = min over unfinished tps of (maxSeen − maxDisorder)`: any later in-bound
 * record of tp t has `tsNs ≥ maxSeen_t − maxDisorder ≥ F`, so nothing released can be overtaken.
 * Poison rows (records that could not be mapped) are emitted at once, in the open batch.
 *
 * The scan of a tp covers [start, end): `end` is the high watermark fixed when the scan first
 * started; it stops early once `maxSeen ≥ window.end + maxDisorder`, since every in-bound record
 * after that is past the window end (an OOO record after that point is not read: like records
 * before the time seek's offset, disorder beyond the bound at the window's edges is out of reach).
 * Records outside the window are not emitted but do move `maxSeen`; a poison row whose time is
 * unknown is reported by every window whose scan covers it (dead-letter stores are idempotent).
 *
 * Resume (token.ts): for partition p, `from` per tp = min(offset of p's unreleased records in tp,
 * next offset to read), with `maxBefore` kept beside each held record; a restart reads each tp
 * from the minimum over the partitions' `from`, starting `maxSeen` at that point's `maxBefore`, so
 * every record is classified exactly as in the first run.
 */
import type { EventBatch, PoisonRow, TimeWindow } from '../source.js';
import { type Held, insertSorted, Part } from './merge-state.js';
import { OnDisorder } from './options.js';
import { encodeToken, type PartitionStart, type TpResume } from './token.js';
import { compareKeys, KafkaPoisonReason, type OrderKey, type Rec, type TopicPartition } from './types.js';

export interface MergerOptions {
  window: TimeWindow;
  maxDisorderNs: bigint;
  onDisorder: OnDisorder;
  tps: readonly TopicPartition[];
}

export interface PartitionSetup {
  partition: number;
  start: PartitionStart;
  batchSize: number;
}

/** A batch with its token (always set by this source). */
export type KafkaBatch = EventBatch & { resume: string };

interface TpState {
  next: number;
  maxSeen: bigint | null;
  /** Max over the partitions' end offsets. */
  end: number;
  finished: boolean;
  /** Why it finished early (not at its end offset), for the log. */
  stoppedEarlyAt: number | null;
  /** (from, maxBefore) of partitions starting later than the scan, to check the lineage. */
  checks: { from: number; maxBefore: bigint | null; partition: number }[];
}

export interface LineageMismatch {
  tp: TopicPartition;
  partition: number;
  offset: number;
  expected: bigint | null;
  actual: bigint | null;
}

export class Merger {
  readonly #o: MergerOptions;
  readonly #parts = new Map<number, Part>();
  readonly #tps: TpState[];
  readonly #stopAt: bigint;
  #pending = 0;
  /** Called when a tokened partition's recorded maxBefore differs from the scan's (data changed). */
  onMismatch: (m: LineageMismatch) => void = () => undefined;

  constructor(o: MergerOptions, parts: readonly PartitionSetup[]) {
    this.#o = o;
    this.#stopAt = o.window.endNs + o.maxDisorderNs;
    for (const s of parts) this.#parts.set(s.partition, new Part(s.partition, s.start, s.batchSize));
    this.#tps = o.tps.map((_, t) => this.#startTp(t, parts));
    this.#release();
  }

  #startTp(t: number, parts: readonly PartitionSetup[]): TpState {
    const wanted = parts.filter((s) => s.start.from[t]! < s.start.end[t]!);
    const end = Math.max(0, ...parts.map((s) => s.start.end[t]!));
    if (wanted.length === 0) {
      return { next: end, maxSeen: null, end, finished: true, stoppedEarlyAt: null, checks: [] };
    }
    const next = Math.min(...wanted.map((s) => s.start.from[t]!));
    // The starting maxSeen: the recorded one of the partitions starting there (fresh ones: any).
    let maxSeen: bigint | null = null;
    for (const s of wanted) {
      const mb = s.start.maxBefore[t];
      if (s.start.from[t] === next && mb != null && (maxSeen === null || mb > maxSeen)) maxSeen = mb;
    }
    const checks = wanted
      .filter((s) => s.start.from[t]! > next && s.start.maxBefore[t] !== undefined)
      .map((s) => ({ from: s.start.from[t]!, maxBefore: s.start.maxBefore[t]!, partition: s.partition }))
      .sort((a, b) => a.from - b.from);
    const finished = maxSeen !== null && maxSeen >= this.#stopAt;
    return { next, maxSeen, end, finished, stoppedEarlyAt: finished ? next : null, checks };
  }

  /** Where each tp's read starts (its next offset), and whether it needs reading at all. */
  get startOffsets(): { offset: number; end: number; finished: boolean }[] {
    return this.#tps.map((s) => ({ offset: s.next, end: s.end, finished: s.finished }));
  }

  isFinished(tp: number): boolean {
    return this.#tps[tp]!.finished;
  }

  get done(): boolean {
    return this.#tps.every((s) => s.finished);
  }

  /** Offset where a tp stopped before its end (its max event time passed window end + bound). */
  stoppedEarlyAt(tp: number): number | null {
    return this.#tps[tp]!.stoppedEarlyAt;
  }

  nextOffset(tp: number): number {
    return this.#tps[tp]!.next;
  }

  /** Records held for reordering, all partitions. */
  get pending(): number {
    return this.#pending;
  }

  /** Events of partition p released and not yet taken (ready batches and the open one). */
  queued(partition: number): number {
    const p = this.#parts.get(partition);
    return p ? p.readyEvents + p.events.length : 0;
  }

  /** Unfinished tps whose bound is the release frontier F: the ones the merge waits for. */
  laggards(): number[] {
    const f = this.#frontier();
    const out: number[] = [];
    this.#tps.forEach((s, t) => {
      if (s.finished) return;
      if (s.maxSeen === null || (typeof f === 'bigint' && s.maxSeen - this.#o.maxDisorderNs <= f))
        out.push(t);
    });
    return out;
  }

  /** The active partitions (a partition whose reader left is dropped). */
  partitions(): number[] {
    return [...this.#parts.values()].filter((p) => p.active).map((p) => p.partition);
  }

  /** A reader left: drop what is held for it; its records are skipped from now on. */
  deactivate(partition: number): void {
    const p = this.#parts.get(partition);
    if (!p?.active) return;
    p.active = false;
    this.#pending -= p.heap.size;
    p.heap.clear();
    p.queues.forEach((q) => {
      q.items = [];
      q.head = 0;
    });
    p.ready.length = 0;
    p.readyEvents = 0;
    p.events = [];
    p.poison = [];
  }

  /** Feeds records of one tp (ascending offsets; repeats of offsets already read are ignored). */
  feed(t: number, recs: readonly Rec[]): void {
    const s = this.#tps[t]!;
    const window = this.#o.window;
    for (const r of recs) {
      if (s.finished) break;
      if (r.offset < s.next) continue;
      if (r.offset >= s.end) {
        s.finished = true;
        break;
      }
      if (s.checks.length > 0 && r.offset >= s.checks[0]!.from) this.#check(t, s, r.offset);
      const maxBefore = s.maxSeen;
      const ts = r.tsNs;
      if (ts === null || (ts >= window.startNs && ts < window.endNs)) {
        const p = this.#parts.get(r.partition);
        if (p?.active && r.offset >= p.start.from[t]! && r.offset < p.start.end[t]!) {
          this.#route(p, t, r, maxBefore);
        }
      }
      s.next = r.offset + 1;
      if (ts !== null && (maxBefore === null || ts > maxBefore)) s.maxSeen = ts;
      if (s.maxSeen !== null && s.maxSeen >= this.#stopAt) {
        s.finished = true;
        s.stoppedEarlyAt = s.next;
      }
    }
    if (!s.finished && s.next >= s.end) s.finished = true;
    this.#release();
  }

  /** Nothing to deliver below `offset` (control records, compacted gaps): the tp moves on. */
  skipTo(t: number, offset: number): void {
    const s = this.#tps[t]!;
    if (s.finished || offset <= s.next) return;
    s.next = Math.min(offset, s.end);
    if (s.next >= s.end) s.finished = true;
    this.#release();
  }

  /** Marks a tp finished (no more records will come, e.g. the end was reached without a record). */
  finish(t: number): void {
    this.#tps[t]!.finished = true;
    this.#release();
  }

  /** Partitions starting at or before `offset` (and after the last record) recorded maxSeen there. */
  #check(t: number, s: TpState, offset: number): void {
    while (s.checks.length > 0 && offset >= s.checks[0]!.from) {
      const c = s.checks.shift()!;
      if (c.from >= s.next && c.maxBefore !== s.maxSeen) {
        this.onMismatch({
          tp: this.#o.tps[t]!,
          partition: c.partition,
          offset: c.from,
          expected: c.maxBefore,
          actual: s.maxSeen,
        });
      }
    }
  }

  #route(p: Part, t: number, r: Rec, maxBefore: bigint | null): void {
    const skip = p.skip[t];
    if (skip?.has(r.offset)) return; // emitted out of order before the restart
    if (r.poison !== undefined) {
      this.#outOfBand(p, t, r.offset, { ...r.poison, partition: p.partition, position: 0 });
      return;
    }
    const e = r.event;
    const ooo = maxBefore !== null && e.tsNs < maxBefore - this.#o.maxDisorderNs;
    if (ooo) {
      if (this.#o.onDisorder === OnDisorder.DeadLetter) {
        this.#outOfBand(p, t, r.offset, {
          reason: KafkaPoisonReason.OutOfOrderSource,
          eventId: e.eventId,
          tsNs: e.tsNs,
          partition: p.partition,
          position: 0,
          raw: {
            topic: this.#o.tps[t]!.topic,
            partition: String(this.#o.tps[t]!.partition),
            offset: String(r.offset),
            detail: `event time ${e.tsNs} is more than ${this.#o.maxDisorderNs} ns behind ${maxBefore}, the newest before it in its topic-partition`,
          },
          key: e.key,
          payload: e.payload,
          schemaKey: e.schemaKey,
        });
        return;
      }
      // onDisorder send: a batch of its own, after everything released so far.
      if (p.events.length + p.poison.length > 0) this.#cut(p, null);
      insertSorted(p.sent[t]!, r.offset);
      p.ready.push({
        partition: p.partition,
        events: [e],
        resume: this.#token(p, { tsNs: e.tsNs, eventId: e.eventId }),
      });
      p.readyEvents++;
      return;
    }
    if (p.threshold !== null && compareKeys(e, p.threshold) <= 0) return; // emitted before the restart
    const h: Held = {
      tsKey: Number(e.tsNs),
      tsNs: e.tsNs,
      eventId: e.eventId,
      tp: t,
      offset: r.offset,
      maxBefore,
      event: e,
      released: false,
    };
    p.heap.push(h);
    p.queues[t]!.items.push(h);
    this.#pending++;
  }

  #outOfBand(p: Part, t: number, offset: number, row: PoisonRow): void {
    insertSorted(p.sent[t]!, offset);
    row.position = p.events.length;
    p.poison.push(row);
    if (p.events.length + p.poison.length >= p.batchSize) this.#cut(p, null);
  }

  /** F; `all` when every tp is finished, `none` while an unfinished tp has shown no record. */
  #frontier(): bigint | 'all' | 'none' {
    let f: bigint | 'all' = 'all';
    for (const s of this.#tps) {
      if (s.finished) continue;
      if (s.maxSeen === null) return 'none';
      const b = s.maxSeen - this.#o.maxDisorderNs;
      if (f === 'all' || b < f) f = b;
    }
    return f;
  }

  #release(): void {
    const f = this.#frontier();
    if (f === 'none') return;
    const all = f === 'all';
    for (const p of this.#parts.values()) {
      if (!p.active) continue;
      if (p.threshold !== null && (all || f > p.threshold.tsNs)) p.threshold = null;
      const heap = p.heap;
      for (let h = heap.peek(); h !== undefined && (all || h.tsNs < f); h = heap.peek()) {
        heap.pop();
        this.#pending--;
        h.released = true;
        p.frontier = { tsNs: h.tsNs, eventId: h.eventId };
        p.events.push(h.event);
        if (p.events.length + p.poison.length >= p.batchSize) this.#cut(p, null);
      }
      if (all && p.events.length + p.poison.length > 0) this.#cut(p, null);
    }
  }

  /** Cuts partition p's open batch now (a partial batch), if it holds anything. */
  flush(partition: number): void {
    const p = this.#parts.get(partition);
    if (p?.active && p.events.length + p.poison.length > 0) this.#cut(p, null);
  }

  /** The next ready batch of partition p. */
  take(partition: number): KafkaBatch | undefined {
    const p = this.#parts.get(partition);
    const b = p?.ready.shift();
    if (b) p!.readyEvents -= b.events.length;
    return b;
  }

  /** Partition p will receive nothing more (its scan is done and everything was taken). */
  drained(partition: number): boolean {
    const p = this.#parts.get(partition);
    return (
      this.done &&
      (!p || (p.heap.size === 0 && p.ready.length === 0 && p.events.length + p.poison.length === 0))
    );
  }

  #cut(p: Part, ooo: OrderKey | null): void {
    const batch: KafkaBatch = { partition: p.partition, events: p.events, resume: this.#token(p, ooo) };
    if (p.poison.length > 0) batch.poison = p.poison;
    p.ready.push(batch);
    p.readyEvents += p.events.length;
    p.events = [];
    p.poison = [];
  }

  #token(p: Part, ooo: OrderKey | null): string {
    const points: TpResume[] = this.#tps.map((s, t) => {
      const start = p.start;
      let from: number;
      let maxBefore: bigint | null | undefined;
      const head = p.queues[t]!.first();
      if (head !== undefined) {
        from = head.offset;
        maxBefore = head.maxBefore;
      } else if (s.next < start.from[t]!) {
        // The scan has not reached p's own start in this tp yet.
        from = start.from[t]!;
        maxBefore = start.maxBefore[t];
      } else {
        from = s.next;
        maxBefore = s.maxSeen;
      }
      const sent = p.sent[t]!;
      let drop = 0;
      while (drop < sent.length && sent[drop]! < from) drop++;
      if (drop > 0) sent.splice(0, drop);
      return { from, maxBefore, end: start.end[t]!, sent };
    });
    return encodeToken(this.#o.window, p.frontier, ooo, this.#o.tps, points);
  }
}
