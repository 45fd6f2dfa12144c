/**
 * Polls the emulator while a replay runs: `/metrics` apply lag every 100 ms (all partitions) and
 * `/sim/stats` applied counters every 250 ms. Times are ms since `origin` (performance.now()).
 */
import { parseApplyLag } from './prom.js';
import { simTotals } from './sim.js';

export interface Samples {
  /** [t, lag ms of one partition] for every partition of every poll (percentiles over all). */
  lagAll: [number, number][];
  /** [t, max lag over partitions] per poll (plots, settle times). */
  lagMax: [number, number][];
  /** [t, cumulative replay_applied] / [t, cumulative live_applied] */
  replay: [number, number][];
  live: [number, number][];
  late: number;
}

function loop(intervalMs: number, fn: () => Promise<void>): { stop(): Promise<void> } {
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const t = performance.now();
      try {
        await fn();
      } catch {
        // a poll that fails (sim busy) is a missing sample, not an error
      }
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (performance.now() - t))));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

export class SimSampler {
  readonly samples: Samples = { lagAll: [], lagMax: [], replay: [], live: [], late: 0 };
  private loops: { stop(): Promise<void> }[] = [];
  /** Lag samples are kept only while this is true (the replay child is running). */
  recording = false;

  constructor(
    private readonly base: string,
    readonly origin: number,
  ) {}

  start(): void {
    this.loops.push(
      loop(100, async () => {
        const text = await (await fetch(`${this.base}/metrics`)).text();
        if (!this.recording) return;
        const lags = parseApplyLag(text);
        const t = performance.now() - this.origin;
        let max = 0;
        for (const v of lags.values()) {
          this.samples.lagAll.push([t, v]);
          if (v > max) max = v;
        }
        this.samples.lagMax.push([t, max]);
      }),
      loop(250, async () => {
        const s = await simTotals(this.base);
        const t = performance.now() - this.origin;
        this.samples.replay.push([t, s.replay_applied]);
        this.samples.live.push([t, s.live_applied]);
        this.samples.late = s.late_dropped;
      }),
    );
  }

  async stop(): Promise<Samples> {
    await Promise.all(this.loops.map((l) => l.stop()));
    return this.samples;
  }
}
