/**
 * Global events/s cap shared by every partition — and, through a SharedArrayBuffer, by every
 * worker thread: `TokenBucket.attach(bucket.buffer)` in a worker gives a view of the same state.
 *
 * Algorithm: GCRA (the token bucket written as one "theoretical arrival time", TAT). Granting n
 * events moves TAT to max(TAT, now) + n/rate; the grant is allowed while TAT − now ≤ burst/rate.
 * One 64-bit word of state means one `Atomics.compareExchange` per grant and no lock, so two
 * threads can never both spend the same capacity.
 *
 * Time is absolute (`performance.timeOrigin + performance.now()`, in ms) because each worker's
 * `performance.now()` starts at its own origin. Tests inject a clock shared through the buffer.
 */
import type { FlowClock } from './types.js';
import { systemClock } from './types.js';

const SLOT_TAT_NS = 0;
/** Rate in milli-events per second (integer, so it can live in the BigInt64 view). */
const SLOT_RATE_MILLI = 1;
const SLOT_BURST = 2;
export const TOKEN_BUCKET_BYTES = 3 * 8;

export type NowMs = () => number;
export const absoluteNowMs: NowMs = () => performance.timeOrigin + performance.now();

export interface TokenBucketOptions {
  /** Events per second; 0 disables the cap. */
  ratePerSec: number;
  /** Largest grant from idle, in events (≥ 1). */
  burst: number;
}

export class TokenBucket {
  private readonly state: BigInt64Array;

  private constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly nowMs: NowMs,
    private readonly sleeper: FlowClock['sleep'],
  ) {
    this.state = new BigInt64Array(buffer, 0, 3);
  }

  static create(
    opts: TokenBucketOptions,
    nowMs: NowMs = absoluteNowMs,
    sleep = systemClock.sleep,
  ): TokenBucket {
    const b = new TokenBucket(new SharedArrayBuffer(TOKEN_BUCKET_BYTES), nowMs, sleep);
    b.setRate(opts.ratePerSec, opts.burst);
    return b;
  }

  /** Another view (e.g. in a worker thread) of a bucket created elsewhere. */
  static attach(
    buffer: SharedArrayBuffer,
    nowMs: NowMs = absoluteNowMs,
    sleep = systemClock.sleep,
  ): TokenBucket {
    return new TokenBucket(buffer, nowMs, sleep);
  }

  setRate(ratePerSec: number, burst: number): void {
    Atomics.store(this.state, SLOT_RATE_MILLI, BigInt(Math.max(0, Math.round(ratePerSec * 1000))));
    Atomics.store(this.state, SLOT_BURST, BigInt(Math.max(1, Math.round(burst))));
  }

  get ratePerSec(): number {
    return Number(Atomics.load(this.state, SLOT_RATE_MILLI)) / 1000;
  }

  get enabled(): boolean {
    return Atomics.load(this.state, SLOT_RATE_MILLI) > 0n;
  }

  /** Grants `events` now or not at all. */
  tryAcquire(events: number): boolean {
    const rate = Atomics.load(this.state, SLOT_RATE_MILLI);
    if (rate <= 0n || events <= 0) return true;
    const cost = costNs(events, rate);
    const tau = costNs(Number(Atomics.load(this.state, SLOT_BURST)), rate);
    const now = nsOf(this.nowMs());
    for (;;) {
      const tat = Atomics.load(this.state, SLOT_TAT_NS);
      const next = later(tat, now) + cost;
      if (next - now > tau) return false;
      if (Atomics.compareExchange(this.state, SLOT_TAT_NS, tat, next) === tat) return true;
    }
  }

  /**
   * Reserves `events` unconditionally and returns how long (ms) the caller must wait before
   * sending them; 0 = now. Reservations queue in order, so a grant larger than the burst works.
   */
  reserve(events: number): number {
    const rate = Atomics.load(this.state, SLOT_RATE_MILLI);
    if (rate <= 0n || events <= 0) return 0;
    const cost = costNs(events, rate);
    const tau = costNs(Number(Atomics.load(this.state, SLOT_BURST)), rate);
    const now = nsOf(this.nowMs());
    for (;;) {
      const tat = Atomics.load(this.state, SLOT_TAT_NS);
      const next = later(tat, now) + cost;
      if (Atomics.compareExchange(this.state, SLOT_TAT_NS, tat, next) === tat) {
        const waitNs = next - tau - now;
        return waitNs > 0n ? Number(waitNs) / 1e6 : 0;
      }
    }
  }

  /** Waits until `events` may be sent; resolves with the ms waited (0 when granted at once). */
  async acquire(events: number, signal?: AbortSignal): Promise<number> {
    const wait = this.reserve(events);
    if (wait > 0) await this.sleeper(wait, signal);
    return wait;
  }
}

function costNs(events: number, rateMilli: bigint): bigint {
  return (BigInt(Math.ceil(events)) * 1_000_000_000_000n) / rateMilli;
}

function nsOf(ms: number): bigint {
  return BigInt(Math.floor(ms * 1e6));
}

function later(a: bigint, b: bigint): bigint {
  if (a > b) return a;
  return b;
}
