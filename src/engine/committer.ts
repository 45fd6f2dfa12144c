/**
 * Groups cursor writes: one store write carries every partition that moved, at most every
 * `intervalMs` or after `everyBatches` acknowledged batches, whichever comes first. Writes never
 * overlap (one in flight, the next one picks up whatever moved meanwhile), and the main thread is
 * the only writer.
 *
 * While the store is failing, acknowledged progress piles up uncommitted (a crash would re-send it;
 * the target absorbs it, but the pile is unbounded work and a growing risk). Past
 * `maxUncommittedEvents` the job waits in `room()` before launching anything new, and resumes by
 * itself once a write succeeds.
 */
import type { Cursor, CursorStore } from './cursor.js';

export interface CommitterOptions {
  job: string;
  store: CursorStore;
  intervalMs: number;
  everyBatches: number;
  /** Acknowledged-but-uncommitted events above which `room()` holds new launches; default unbounded. */
  maxUncommittedEvents?: number;
  onCommit?(cursors: Cursor[]): void;
  onError?(err: unknown): void;
  /** Called whenever the uncommitted count changes (a gauge). */
  onUncommitted?(events: number): void;
}

export class CursorCommitter {
  private readonly dirty = new Map<number, Cursor>();
  private readonly latest = new Map<number, Cursor>();
  private batchesSinceFlush = 0;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastError: unknown;
  /** Events acknowledged since the last flush began, and those carried by the write in flight. */
  private pendingEvents = 0;
  private flushingEvents = 0;
  private readonly roomWaiters = new Set<() => void>();

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

  /** Acknowledged events not yet durable in the store. */
  get uncommitted(): number {
    return this.pendingEvents + this.flushingEvents;
  }

  /** The error of the last failed write, while the store keeps failing (cleared by a success). */
  get failing(): unknown {
    return this.lastError;
  }

  /** Record the new contiguous cursor of a partition (called in batch order) and its events. */
  advance(cursor: Cursor, events = 0): void {
    this.latest.set(cursor.partition, cursor);
    this.dirty.set(cursor.partition, cursor);
    if (events > 0) {
      this.pendingEvents += events;
      this.opts.onUncommitted?.(this.uncommitted);
    }
    if (++this.batchesSinceFlush >= this.opts.everyBatches) void this.flush();
  }

  markDone(partition: number, fallback: Omit<Cursor, 'done'>): void {
    const c = { ...(this.latest.get(partition) ?? fallback), done: true };
    this.latest.set(partition, c);
    this.dirty.set(partition, c);
  }

  /** Resolves at once while uncommitted progress is under the bound, else after a write makes room. */
  room(signal: AbortSignal): Promise<void> {
    const max = this.opts.maxUncommittedEvents;
    if (max === undefined || this.uncommitted <= max || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.roomWaiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.roomWaiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Write everything that moved; resolves when it is durable. Never throws (see close). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.dirty.size === 0) return;
    const batch = [...this.dirty.values()];
    this.dirty.clear();
    this.batchesSinceFlush = 0;
    this.flushingEvents = this.pendingEvents;
    this.pendingEvents = 0;
    this.writing = this.opts.store
      .save(this.opts.job, batch)
      .then(
        () => {
          this.flushingEvents = 0;
          this.lastError = undefined;
          this.opts.onUncommitted?.(this.uncommitted);
          this.opts.onCommit?.(batch);
          for (const w of [...this.roomWaiters])
            if (this.uncommitted <= (this.opts.maxUncommittedEvents ?? 0)) w();
        },
        (err: unknown) => {
          // Put them back unless something newer arrived, so the next flush retries.
          for (const c of batch) if (!this.dirty.has(c.partition)) this.dirty.set(c.partition, c);
          this.pendingEvents += this.flushingEvents;
          this.flushingEvents = 0;
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
    for (const w of [...this.roomWaiters]) w();
    if (this.dirty.size > 0) throw this.lastError;
  }
}
