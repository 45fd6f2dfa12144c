/**
 * Cuts a partition's rows into EventBatches in source order. Events and poison rows both count
 * toward `batchSize`, so a batch never holds more than `batchSize` rows whatever mix the source
 * has. Full batches queue in `ready` (the COPY splitter calls back inside a synchronous loop
 * where the generator cannot yield); the reader yields them after each network chunk, so the
 * queue holds at most one chunk's worth of rows.
 *
 * Held rows: on a resume at an exact position `(t, id)`, the rows at event time `t` whose event
 * id is NULL are read by a separate probe (the keyset comparison `(et, id) > (t, id)` is NULL for
 * them). They sort after every non-NULL id at `t` (ASC NULLS LAST), so they are released right
 * before the first row later than `t` (or at the end): the position they sort at.
 */
import type { EventBatch, PoisonRow, SourceEvent } from '../source.js';

export interface HeldRows {
  afterNs: bigint;
  rows: PoisonRow[];
}

export class BatchBuilder {
  events: SourceEvent[] = [];
  poison: PoisonRow[] = [];
  readonly ready: EventBatch[] = [];
  #held: HeldRows | null;

  constructor(
    readonly partition: number,
    readonly batchSize: number,
    held: HeldRows | null = null,
  ) {
    this.#held = held !== null && held.rows.length > 0 ? held : null;
  }

  event(e: SourceEvent): void {
    // One null check per row; the bigint compare runs only while rows are held (rare).
    if (this.#held !== null && e.tsNs > this.#held.afterNs) this.#release();
    this.events.push(e);
    if (this.events.length + this.poison.length >= this.batchSize) this.#cut();
  }

  poisonRow(p: Omit<PoisonRow, 'position'>): void {
    if (this.#held !== null && (p.tsNs === null || p.tsNs > this.#held.afterNs)) this.#release();
    this.poison.push({ ...p, position: this.events.length });
    if (this.events.length + this.poison.length >= this.batchSize) this.#cut();
  }

  /** End of the scan: release held rows and cut the last (smaller) batch. */
  finish(): void {
    this.#release();
    if (this.events.length + this.poison.length > 0) this.#cut();
  }

  #release(): void {
    const held = this.#held;
    if (held === null) return;
    this.#held = null;
    for (const p of held.rows) this.poisonRow(p);
  }

  #cut(): void {
    const batch: EventBatch = { partition: this.partition, events: this.events };
    if (this.poison.length > 0) batch.poison = this.poison;
    this.ready.push(batch);
    this.events = [];
    this.poison = [];
  }
}
