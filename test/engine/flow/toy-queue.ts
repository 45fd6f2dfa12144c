/**
 * A pure, discrete-time model of one CEPtra partition under replay, for closed-loop tests of the
 * flow controller: a FIFO commit→apply queue drained at `capacity` events/s, live traffic added at
 * `liveRate`, a replay sender that always has data and launches full batches up to the knobs, a
 * round trip of `rttBaseMs + batch × rttPerEventMs`, and the server's 50,000-event ring (a batch
 * that would overflow it is answered TransientBackpressure and retried after 40 ms).
 */
import type { FlowController } from '../../../src/engine/flow/index.js';
import { LagSignal } from '../../../src/engine/flow/index.js';

export interface ToyOptions {
  partition: number;
  capacity: number;
  liveRate: number;
  rttBaseMs: number;
  rttPerEventMs: number;
  ring?: number;
}

interface Flight {
  events: number;
  sentAt: number;
  arriveAt: number;
  ackAt: number;
  arrived: boolean;
  rejected: boolean;
}

export class ToyPartition {
  capacity: number;
  private readonly queue: { at: number; n: number }[] = [];
  private depth = 0;
  private readonly flights: Flight[] = [];
  private retryAt: number | null = null;
  private retryEvents = 0;
  private budget = 0;
  private pendingAt: number | null = null;
  private pendingSize = 0;
  applied = 0;
  replayApplied = 0;

  constructor(
    readonly o: ToyOptions,
    private readonly ctl: FlowController,
  ) {
    this.capacity = o.capacity;
  }

  /** Age of the oldest committed-but-unapplied event, ms. */
  lagMs(now: number): number {
    return this.queue.length === 0 ? 0 : now - this.queue[0]!.at;
  }

  step(now: number, dtMs: number): void {
    this.enqueue(now, (this.o.liveRate * dtMs) / 1000, false);
    for (const f of this.flights) {
      if (!f.arrived && f.arriveAt <= now) {
        f.arrived = true;
        if (this.depth + f.events > (this.o.ring ?? 50_000)) f.rejected = true;
        else this.enqueue(now, f.events, true);
      }
    }
    for (let i = this.flights.length - 1; i >= 0; i--) {
      const f = this.flights[i]!;
      if (f.ackAt > now) continue;
      this.flights.splice(i, 1);
      const rttMs = f.ackAt - f.sentAt;
      this.ctl.onAttempt({
        partition: this.o.partition,
        rttMs,
        events: f.events,
        outcome: f.rejected ? 'backpressure' : 'ok',
      });
      if (f.rejected) {
        this.retryAt = now + 40;
        this.retryEvents = f.events;
      }
    }
    this.apply(now, dtMs);
    this.launch(now);
  }

  private launch(now: number): void {
    const k = this.ctl.knobs(this.o.partition);
    if (this.retryAt !== null) {
      if (now < this.retryAt || this.flights.length > 0) return;
      this.retryAt = null;
      this.send(now, this.retryEvents);
      return;
    }
    while (this.flights.length < k.maxInFlight) {
      // Like the runner: reserve (pace + global cap) before each batch, send when it is due.
      if (this.pendingAt === null) {
        this.pendingSize = k.batchSize;
        this.pendingAt = now + this.ctl.reserve(this.o.partition, k.batchSize);
      }
      if (now < this.pendingAt) return;
      this.send(now, this.pendingSize);
      this.ctl.onBatchLaunched(this.o.partition, this.flights.length, this.pendingSize);
      this.pendingAt = null;
    }
  }

  private send(now: number, events: number): void {
    const rtt = this.o.rttBaseMs + events * this.o.rttPerEventMs;
    this.flights.push({
      events,
      sentAt: now,
      arriveAt: now + rtt / 2,
      ackAt: now + rtt,
      arrived: false,
      rejected: false,
    });
  }

  private enqueue(now: number, n: number, replay: boolean): void {
    if (n <= 0) return;
    this.queue.push({ at: now, n: replay ? -n : n });
    this.depth += n;
  }

  private apply(_now: number, dtMs: number): void {
    this.budget += (this.capacity * dtMs) / 1000;
    while (this.budget > 0 && this.queue.length > 0) {
      const head = this.queue[0]!;
      const n = Math.abs(head.n);
      const take = Math.min(n, this.budget);
      this.budget -= take;
      this.depth -= take;
      this.applied += take;
      if (head.n < 0) this.replayApplied += take;
      if (take === n) this.queue.shift();
      else head.n = head.n < 0 ? -(n - take) : n - take;
    }
    if (this.queue.length === 0) this.budget = 0;
  }
}

export interface SimRun {
  /** Fine-grained lag trace: [timeMs, lagMs] every `traceEveryMs`. */
  trace: [number, number][];
  /** Applied events (all / the replay's) at each trace point. */
  applied: number[];
  replayApplied: number[];
}

/** Runs the closed loop for `durationMs`; `at(now)` lets a test change the model mid-run. */
export function runLoop(
  ctl: FlowController,
  parts: ToyPartition[],
  durationMs: number,
  opts: { dtMs?: number; sampleEveryMs?: number; traceEveryMs?: number; at?: (now: number) => void } = {},
): SimRun[] {
  const dt = opts.dtMs ?? 1;
  const sampleEvery = opts.sampleEveryMs ?? 250;
  const traceEvery = opts.traceEveryMs ?? 10;
  const runs: SimRun[] = parts.map(() => ({ trace: [], applied: [], replayApplied: [] }));
  let sampleId = 0;
  for (let now = 0; now <= durationMs; now += dt) {
    opts.at?.(now);
    for (const p of parts) p.step(now, dt);
    if (now % sampleEvery === 0 && now > 0) {
      const partitions = new Map(
        parts.map((p) => [p.o.partition, { applyLagMs: p.lagMs(now), exact: true }]),
      );
      ctl.onLagSample({ id: ++sampleId, atMs: now, signal: LagSignal.Metrics, partitions });
    }
    if (now % traceEvery === 0) {
      parts.forEach((p, i) => {
        runs[i]!.trace.push([now, p.lagMs(now)]);
        runs[i]!.applied.push(p.applied);
        runs[i]!.replayApplied.push(p.replayApplied);
      });
    }
  }
  return runs;
}
