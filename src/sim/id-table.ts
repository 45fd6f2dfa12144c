/**
 * Per-partition table of event ids: the live dedup window, the replay dedup window (contract §3)
 * and the applied-ids ground truth, in ONE Map (id → slot, a small integer) plus typed-array
 * columns per slot.
 *
 * Why: it replaced two FIFO maps (id → fingerprint, a boxed double per entry) and a Set of applied
 * ids. A replay event used to cost four hash operations (get, set at ingest; has, add at apply)
 * and one HeapNumber; now it costs a miss and an insert at ingest and none at apply (the
 * commit→apply ring carries the slot). Those hash operations were ~20 % of the emulator's CPU
 * profile in bench/sim-ingest.ts.
 *
 * Windows: each keeps its own insertion order (a slot queue) and evicts the oldest insert beyond
 * `capacity`; re-remembering an id already in a window refreshes its fingerprint in place (Map.set
 * semantics). Capacity 0 remembers nothing. An entry lives while it is in a window, has a commit
 * waiting for apply, or was applied (applied ids are kept forever, like the Set they replace, so
 * "applied twice" is detected even after the windows forgot the id).
 */
import { SlotQueue } from './slot-queue.js';

/** Fingerprint value of "not in this window" (real fingerprints are ≥ 0). */
const ABSENT = -1;

export class IdTable {
  private readonly index = new Map<string, number>();
  private ids: (string | undefined)[] = [];
  private liveFp = new Float64Array(1024).fill(ABSENT);
  private replayFp = new Float64Array(1024).fill(ABSENT);
  private applied = new Uint8Array(1024);
  /** Dropped by an apply fault: the target "lost" it, dedup memory included, until re-sent. */
  private lost = new Uint8Array(1024);
  private pending = new Int32Array(1024);
  private readonly free: number[] = [];
  private used = 0;
  private readonly liveOrder = new SlotQueue();
  private readonly replayOrder = new SlotQueue();

  constructor(private capacity: number) {}

  /** Ids in the live dedup window. */
  get liveSize(): number {
    return this.liveOrder.length;
  }

  get replaySize(): number {
    return this.replayOrder.length;
  }

  /** Entries held (windows ∪ pending ∪ applied). */
  get size(): number {
    return this.index.size;
  }

  /** Slot of `id`, or -1. */
  find(id: string): number {
    const s = this.index.get(id);
    return s === undefined ? -1 : s;
  }

  /** Fingerprint in the live window, or -1. */
  liveFingerprint(slot: number): number {
    return this.lost[slot] === 1 ? ABSENT : this.liveFp[slot]!;
  }

  replayFingerprint(slot: number): number {
    return this.lost[slot] === 1 ? ABSENT : this.replayFp[slot]!;
  }

  /**
   * The apply-drop fault: the event is gone from the target as if it had never arrived, so a
   * later re-send (a gap replay) must not be absorbed as a duplicate. The window entries stay
   * in place (their queues still hold the slot) but read as absent until the id is committed again.
   */
  forget(slot: number): void {
    this.lost[slot] = 1;
  }

  /**
   * A committed client or REPLAY event (`slot` = `find(id)`): remembered in the window of its
   * kind and held until `release`. Returns its slot, which the ring carries to the apply step.
   */
  commit(id: string, slot: number, fp: number, replay: boolean): number {
    const s = slot >= 0 ? slot : this.create(id);
    this.lost[s] = 0;
    this.pending[s]!++;
    if (replay) this.remember(this.replayFp, this.replayOrder, s, fp);
    else this.remember(this.liveFp, this.liveOrder, s, fp);
    return s;
  }

  /** Live-generator traffic: live window only; never counted for applied-twice. */
  rememberLive(id: string, fp: number): void {
    if (this.capacity === 0) return;
    const s = this.find(id);
    this.remember(this.liveFp, this.liveOrder, s >= 0 ? s : this.create(id), fp);
  }

  /** Marks a committed event applied; true when it had been applied before. */
  markApplied(slot: number): boolean {
    if (this.applied[slot] === 1) return true;
    this.applied[slot] = 1;
    return false;
  }

  /** The commit of `slot` left the ring (applied, dropped as late, or dropped by a fault). */
  release(slot: number): void {
    this.pending[slot]!--;
    this.maybeFree(slot);
  }

  setCapacity(capacity: number): void {
    this.capacity = capacity;
    this.evict(this.liveFp, this.liveOrder);
    this.evict(this.replayFp, this.replayOrder);
  }

  private remember(fps: Float64Array, order: SlotQueue, s: number, fp: number): void {
    if (this.capacity === 0) return; // the caller holds the entry (pending) or skipped it
    if (fps[s]! >= 0) {
      fps[s] = fp;
      return;
    }
    fps[s] = fp;
    order.push(s);
    if (order.length > this.capacity) this.evict(fps, order);
  }

  private evict(fps: Float64Array, order: SlotQueue): void {
    while (order.length > this.capacity) {
      const s = order.shift();
      fps[s] = ABSENT;
      this.maybeFree(s);
    }
  }

  private maybeFree(s: number): void {
    if (this.liveFp[s]! < 0 && this.replayFp[s]! < 0 && this.pending[s] === 0 && this.applied[s] === 0) {
      this.index.delete(this.ids[s]!);
      this.ids[s] = undefined;
      this.lost[s] = 0;
      this.free.push(s);
    }
  }

  private create(id: string): number {
    let s = this.free.pop();
    if (s === undefined) {
      s = this.used++;
      if (s === this.pending.length) this.grow(s * 2);
    }
    this.ids[s] = id;
    this.index.set(id, s);
    return s;
  }

  private grow(cap: number): void {
    const live = new Float64Array(cap).fill(ABSENT);
    live.set(this.liveFp);
    this.liveFp = live;
    const replay = new Float64Array(cap).fill(ABSENT);
    replay.set(this.replayFp);
    this.replayFp = replay;
    const applied = new Uint8Array(cap);
    applied.set(this.applied);
    this.applied = applied;
    const pending = new Int32Array(cap);
    pending.set(this.pending);
    this.pending = pending;
    const lost = new Uint8Array(cap);
    lost.set(this.lost);
    this.lost = lost;
  }
}
