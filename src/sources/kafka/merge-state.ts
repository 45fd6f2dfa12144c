/**
 * The merger's per-partition state: records held for reordering (a heap in order-key order, and
 * per topic-partition in offset order so a token can name the lowest unreleased offset), the open
 * batch and the ready ones.
 */
import type { PoisonRow, SourceEvent } from '../source.js';
import { MinHeap } from './heap.js';
import type { KafkaBatch, PartitionSetup } from './merger.js';
import type { PartitionStart } from './token.js';
import type { OrderKey } from './types.js';

export interface Held {
  /**
   * `Number(tsNs)`: rounding to a double is monotonic, so `tsKey` ordering decides whenever the
   * keys differ, and only equal keys fall back to the BigInt (far cheaper in the heap's compares).
   */
  tsKey: number;
  tsNs: bigint;
  eventId: string;
  tp: number;
  offset: number;
  maxBefore: bigint | null;
  event: SourceEvent;
  released: boolean;
}

export const less = (a: Held, b: Held): boolean =>
  a.tsKey !== b.tsKey
    ? a.tsKey < b.tsKey
    : a.tsNs !== b.tsNs
      ? a.tsNs < b.tsNs
      : a.eventId !== b.eventId
        ? a.eventId < b.eventId
        : a.tp !== b.tp
          ? a.tp < b.tp
          : a.offset < b.offset;

/** Held records of one partition in one tp, in offset order (head = lowest unreleased). */
export class OffsetQueue {
  items: Held[] = [];
  head = 0;

  first(): Held | undefined {
    while (this.head < this.items.length && this.items[this.head]!.released) this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return this.items[this.head];
  }
}

export class Part {
  active = true;
  readonly heap = new MinHeap<Held>(less);
  readonly queues: OffsetQueue[];
  readonly sent: number[][];
  readonly skip: (Set<number> | null)[];
  frontier: OrderKey | null;
  threshold: OrderKey | null;
  events: SourceEvent[] = [];
  poison: PoisonRow[] = [];
  readonly ready: KafkaBatch[] = [];
  readyEvents = 0;

  constructor(
    readonly partition: number,
    readonly start: PartitionStart,
    readonly batchSize: PartitionSetup['batchSize'],
  ) {
    this.queues = start.from.map(() => new OffsetQueue());
    this.sent = start.sent.map((s) => [...s]);
    this.skip = start.sent.map((s) => (s.length > 0 ? new Set(s) : null));
    this.frontier = start.threshold;
    this.threshold = start.threshold;
  }
}

/** Inserts v into an ascending list (no duplicates). */
export function insertSorted(list: number[], v: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > v) i--;
  if (list[i - 1] === v) return;
  list.splice(i, 0, v);
}
