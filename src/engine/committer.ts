/**
 * Groups cursor writes: one store write carries every partition that moved, at most every
 * `intervalMs` or after `everyBatches` acknowledged batches, whichever comes first. Writes never
 * overlap (one in flight, the next one picks up whatever moved meanwhile), and the main thread is
 * the only writer.
 */
import type { Cursor, CursorStore } from './cursor.js';

export interface CommitterOptions {
  job: string;
  store: CursorStore;
  intervalMs: number;
  everyBatches: number;
  onCommit?(cursors: Cursor[]): void;
  onError?(err: unknown): void;
}

export class CursorCommitter {
  private readonly dirty = new Map<number, Cursor>();
  private readonly latest = new Map<number, Cursor>();
  private batchesSinceFlush = 0;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastError: unknown;

  constructor(
    private readonly opts: CommitterOptions,
    initial: Iterable<Cursor> = [],
  ) {
    for (const c of initial) this.latest.set(c.partition, c);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.opts.intervalMs);
    this.timer.unref();
  }

  get(partition: number): Cursor | undefined {
    return this.latest.get(partition);
  }

  /** Record the new contiguous cursor of a partition (called in batch order). */
  advance(cursor: Cursor): void {
    this.latest.set(cursor.partition, cursor);
    this.dirty.set(cursor.partition, cursor);
    if (++this.batchesSinceFlush >= this.opts.everyBatches) void this.flush();
  }

  markDone(partition: number, fallback: Omit<Cursor, 'done'>): void {
    const c = { ...(this.latest.get(partition) ?? fallback), done: true };
    this.latest.set(partition, c);
    this.dirty.set(partition, c);
  }

  /** Write everything that moved; resolves when it is durable. Throws the last write error. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    this.batchesSinceFlush = 0;
    this.writing = this.opts.store
      .save(this.opts.job, batch)
      .then(
        () => this.opts.onCommit?.(batch),
        (err: unknown) => {
          // Put them back unless something newer arrived, so the next flush retries.
          for (const c of batch) if (!this.dirty.has(c.partition)) this.dirty.set(c.partition, c);
          this.lastError = err;
          this.opts.onError?.(err);
        },
      )
      .finally(() => {
        this.writing = null;
      });
    await this.writing;
  }

  /** Final flush: stop the timer, write what is left, and surface a write that never succeeded. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    if (this.dirty.size > 0) await this.flush();
    if (this.dirty.size > 0) throw this.lastError;
  }
}
