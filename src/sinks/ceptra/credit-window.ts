/**
 * The credit window (contract §2 rules 1–3): starts at 256 events / 10 MiB until a hint arrives;
 * grows at most ×1.25 per 500 ms and never above the last advertised `client_window_size`; cuts
 * (halving on TransientBackpressure, a smaller hint) apply at once. The clock is injected.
 *
 * The size is kept as a real number so repeated ×1.25 steps from a small window still grow
 * (1 → 1.25 → 1.56 → 1.95 → 2.44 …) without ever exceeding ×1.25 per interval; callers read
 * `events()` (floored, ≥ 1).
 */
export interface CreditWindowOptions {
  initialEvents: number;
  maxBytes: number;
  growthFactor: number;
  growthIntervalMs: number;
  now: () => number;
}

export class CreditWindow {
  private size: number;
  /** The ceiling: the initial window until a hint arrives, then the last `client_window_size`. */
  private ceiling: number;
  private lastChangeAt: number;
  private lastCutAt = Number.NEGATIVE_INFINITY;
  readonly maxBytes: number;

  constructor(private readonly opts: CreditWindowOptions) {
    this.size = opts.initialEvents;
    this.ceiling = opts.initialEvents;
    this.maxBytes = opts.maxBytes;
    this.lastChangeAt = opts.now();
  }

  /** Events allowed now (in one request in batch mode, in flight in single mode). */
  events(): number {
    return Math.max(1, Math.floor(this.size));
  }

  /** The current cap from the last hint (or the initial window). */
  cap(): number {
    return this.ceiling;
  }

  /** A new `client_window_size`: becomes the ceiling; a smaller one cuts at once. */
  onHint(clientWindowSize: number): void {
    this.ceiling = Math.max(1, clientWindowSize);
    if (this.size > this.ceiling) {
      this.size = this.ceiling;
      this.lastChangeAt = this.opts.now();
    }
  }

  /**
   * TransientBackpressure: halve at once. `sentAt` is when the throttled request was sent: a
   * request sent before the last cut reports the congestion that cut already answered, so it
   * does not cut again (one halving per congestion event, as TCP does once per window; without
   * this, N concurrent requests throttled together would divide the window by 2^N). A serial
   * sender always sends after the previous cut, so each of its throttles halves.
   * Returns whether the window was cut.
   */
  cut(sentAt?: number): boolean {
    if (sentAt !== undefined && sentAt < this.lastCutAt) return false;
    this.size = Math.max(1, this.size / 2);
    this.lastChangeAt = this.opts.now();
    this.lastCutAt = this.lastChangeAt;
    return true;
  }

  /** Accepted work: grow by at most one ×factor step if an interval has passed since the last change. */
  onSuccess(): void {
    if (this.size >= this.ceiling) return;
    const now = this.opts.now();
    if (now - this.lastChangeAt < this.opts.growthIntervalMs) return;
    this.size = Math.min(this.ceiling, this.size * this.opts.growthFactor);
    this.lastChangeAt = now;
  }
}
