/** Shared helpers of the flow tests: a fake clock, a log capture, sample builders. */
import { type Logger, pino } from 'pino';
import { Registry } from 'prom-client';
import {
  type FlowClock,
  FlowController,
  type FlowControllerOptions,
  type LagSample,
  LagSignal,
} from '../../../src/engine/flow/index.js';

/** A clock that only moves when told to; `sleep` resolves when `advance` passes its deadline. */
export class FakeClock implements FlowClock {
  t = 0;
  private timers: { at: number; resolve: () => void }[] = [];
  now = (): number => this.t;
  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.timers.push({ at: this.t + ms, resolve });
    });
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const d of due) d.resolve();
  }
  get pending(): number {
    return this.timers.length;
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines };
}

export function makeController(options: Partial<FlowControllerOptions> = {}, clock = new FakeClock()) {
  const registry = new Registry();
  const ctl = new FlowController({ job: 'j1', options, registry, clock });
  return { ctl, registry, clock };
}

let nextId = 1;
/** A metrics-sourced sample with one exact apply lag per partition. */
export function lagSample(lags: Record<number, number>, atMs = 0, id = nextId++): LagSample {
  return {
    id,
    atMs,
    signal: LagSignal.Metrics,
    partitions: new Map(Object.entries(lags).map(([p, ms]) => [Number(p), { applyLagMs: ms, exact: true }])),
  };
}

export function noSignalSample(atMs = 0, id = nextId++): LagSample {
  return { id, atMs, signal: LagSignal.None, partitions: new Map() };
}

/** The runner launched batches that used the whole current limit. */
export function useLimit(ctl: FlowController, partition: number): void {
  const k = ctl.knobs(partition);
  for (let i = 1; i <= k.maxInFlight; i++) ctl.onBatchLaunched(partition, i, k.batchSize);
}

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const m = await registry.getSingleMetric(name)?.get();
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => String(x.labels[k]) === val));
  return v?.value;
}
