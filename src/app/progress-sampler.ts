/** Rate, ETA and stall detection of a running replay, for progress lines and status APIs. */

/** A rate this low gives an ETA in the centuries: say "stalled" instead of a meaningless number. */
const MIN_RATE_FOR_ETA = 0.5;

/**
 * One progress sample: smoothed rate, ETA, and whether the job is stalled (nothing acknowledged
 * for `stallAfterMs` with events left). A stalled job has no ETA: the last real sample once
 * showed `"eventsPerSec":0,"etaSeconds":3.5e+90` for ten minutes of a partition that was stuck.
 */
export class ProgressSampler {
  private lastEvents = 0;
  private lastAt: number;
  private rate = 0;
  private idleSince: number | null = null;
  private readonly now: () => number;

  constructor(
    private readonly total: number,
    private readonly stallAfterMs = 5_000,
    now: () => number = Date.now,
  ) {
    this.now = now;
    this.lastAt = now();
  }

  sample(events: number): { rate: number; eta: number | null; stalled: boolean; stalledMs: number } {
    const now = this.now();
    const dt = (now - this.lastAt) / 1000;
    if (dt > 0) {
      const inst = (events - this.lastEvents) / dt;
      this.rate = this.rate === 0 ? inst : this.rate * 0.7 + inst * 0.3; // smoothed so the ETA does not jump
    }
    if (events === this.lastEvents) this.idleSince ??= this.lastAt;
    else this.idleSince = null;
    this.lastEvents = events;
    this.lastAt = now;
    const remaining = Math.max(0, this.total - events);
    const stalledMs = this.idleSince === null ? 0 : now - this.idleSince;
    const stalled = remaining > 0 && stalledMs >= this.stallAfterMs;
    if (stalled) this.rate = 0;
    const eta =
      stalled || this.rate < MIN_RATE_FOR_ETA ? (remaining === 0 ? 0 : null) : remaining / this.rate;
    return { rate: this.rate, eta, stalled, stalledMs };
  }
}
