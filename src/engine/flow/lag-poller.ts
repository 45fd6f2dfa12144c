/**
 * Polls the target's apply lag every `intervalMs` and emits one sample per poll. The engine never
 * imports an HTTP driver: the caller injects `fetchText` (the CLI builds it on the CEPtra control
 * client; tests on node:http). Source order: `/metrics`, then `/readyz`; when neither gives a lag
 * series the sample says `signal: 'none'` and the controller falls back to hints and RTT.
 */
import type { Logger } from 'pino';
import { errorMessage } from '../../common/errors.js';
import { silentLogger } from '../../common/logger.js';
import { lagFromMetrics, lagFromReadyz } from './lag-sources.js';
import { type FlowClock, type LagSample, LagSignal, type PartitionLag, systemClock } from './types.js';

export type FetchText = (path: string) => Promise<{ status: number; body: string }>;

export interface LagPollerOptions {
  fetchText: FetchText;
  intervalMs?: number;
  logger?: Logger;
  clock?: FlowClock;
  onSample?: (sample: LagSample) => void;
  /** While `/metrics` yields nothing, it is skipped and re-tried every N polls (default 20). */
  metricsReprobeEvery?: number;
}

interface Attempt {
  path: string;
  result: string;
}

export class LagPoller {
  private readonly fetchText: FetchText;
  private readonly intervalMs: number;
  private readonly logger: Logger;
  private readonly clock: FlowClock;
  private readonly reprobeEvery: number;
  private nextId = 1;
  private skipMetricsPolls = 0;
  private warned = false;
  private stopper: AbortController | null = null;
  private loop: Promise<void> | null = null;
  last: LagSample | null = null;

  constructor(private readonly opts: LagPollerOptions) {
    this.fetchText = opts.fetchText;
    this.intervalMs = opts.intervalMs ?? 250;
    this.logger = opts.logger ?? silentLogger();
    this.clock = opts.clock ?? systemClock;
    this.reprobeEvery = opts.metricsReprobeEvery ?? 20;
  }

  /** One poll: tries the sources in order and returns (and emits) the sample. */
  async poll(): Promise<LagSample> {
    const tried: Attempt[] = [];
    let signal: LagSignal = LagSignal.None;
    let partitions: Map<number, PartitionLag> | null = null;
    if (this.skipMetricsPolls > 0) {
      this.skipMetricsPolls--;
    } else {
      partitions = await this.tryPath('/metrics', tried, (s, b) => (s === 200 ? lagFromMetrics(b) : null));
      if (partitions) signal = LagSignal.Metrics;
      else this.skipMetricsPolls = this.reprobeEvery - 1;
    }
    if (!partitions) {
      // /readyz answers 503 with the same body when a partition is not ready: both are signals.
      partitions = await this.tryPath('/readyz', tried, (s, b) =>
        s === 200 || s === 503 ? lagFromReadyz(b) : null,
      );
      if (partitions) signal = LagSignal.Readyz;
    }
    if (!partitions && !this.warned) {
      this.warned = true;
      this.logger.warn(
        { tried },
        'no apply-lag signal from the target; flow control falls back to credit hints and round-trip time',
      );
    }
    const sample: LagSample = {
      id: this.nextId++,
      atMs: this.clock.now(),
      signal,
      partitions: partitions ?? new Map(),
    };
    this.last = sample;
    try {
      this.opts.onSample?.(sample);
    } catch (err) {
      this.logger.error({ err: errorMessage(err) }, 'lag sample handler failed');
    }
    return sample;
  }

  private async tryPath(
    path: string,
    tried: Attempt[],
    read: (status: number, body: string) => Map<number, PartitionLag> | null,
  ): Promise<Map<number, PartitionLag> | null> {
    try {
      const { status, body } = await this.fetchText(path);
      const lag = read(status, body);
      if (!lag)
        tried.push({ path, result: status === 200 || status === 503 ? 'no lag series' : `HTTP ${status}` });
      return lag;
    } catch (err) {
      tried.push({ path, result: `error: ${errorMessage(err)}` });
      return null;
    }
  }

  /** Polls until `stop()`; one poll at a time, `intervalMs` between the end of one and the next. */
  start(): void {
    if (this.loop) return;
    const stopper = new AbortController();
    this.stopper = stopper;
    this.loop = (async () => {
      while (!stopper.signal.aborted) {
        await this.poll();
        await this.clock.sleep(this.intervalMs, stopper.signal).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopper?.abort();
    await this.loop;
    this.loop = null;
    this.stopper = null;
  }
}
