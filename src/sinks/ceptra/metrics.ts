/**
 * Client metrics: plain counters (always, for `stats()` and the SDK conformance fixture) and,
 * when a prom-client `Registry` is injected, Prometheus series labelled by `job`. Several clients
 * may share one registry: existing series are reused, never registered twice.
 */
import { Counter, Gauge, Histogram, type Metric, type Registry } from 'prom-client';
import type { ClientCounters } from './types.js';

interface Prom {
  requests: Counter<'job' | 'route' | 'outcome'>;
  retries: Counter<'job' | 'reason'>;
  creditWindow: Gauge<'job'>;
  clientWindowSize: Gauge<'job'>;
  latency: Histogram<'job' | 'route'>;
  rejected: Counter<'job' | 'reason'>;
  rejectOverload: Counter<'job'>;
}

function reuse<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

function createProm(registry: Registry): Prom {
  const registers = [registry];
  return {
    requests: reuse(
      registry,
      'ceptra_client_requests_total',
      () =>
        new Counter({
          name: 'ceptra_client_requests_total',
          help: 'HTTP attempts to CEPtra by route and outcome (2xx, 429, 503, 5xx, 4xx, network)',
          labelNames: ['job', 'route', 'outcome'],
          registers,
        }),
    ),
    retries: reuse(
      registry,
      'ceptra_client_retries_total',
      () =>
        new Counter({
          name: 'ceptra_client_retries_total',
          help: 'Attempts beyond the first, by reason (status reason, HTTP status or network)',
          labelNames: ['job', 'reason'],
          registers,
        }),
    ),
    creditWindow: reuse(
      registry,
      'ceptra_client_credit_window_events',
      () =>
        new Gauge({
          name: 'ceptra_client_credit_window_events',
          help: 'Current credit window in events',
          labelNames: ['job'],
          registers,
        }),
    ),
    clientWindowSize: reuse(
      registry,
      'ceptra_client_window_size',
      () =>
        new Gauge({
          name: 'ceptra_client_window_size',
          help: 'Last client_window_size advertised by CEPtra (SDK: client_window_size_ms)',
          labelNames: ['job'],
          registers,
        }),
    ),
    latency: reuse(
      registry,
      'ceptra_client_request_duration_seconds',
      () =>
        new Histogram({
          name: 'ceptra_client_request_duration_seconds',
          help: 'Round-trip time of one HTTP attempt',
          labelNames: ['job', 'route'],
          buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    rejected: reuse(
      registry,
      'ceptra_client_rejected_events_total',
      () =>
        new Counter({
          name: 'ceptra_client_rejected_events_total',
          help: 'Events refused permanently by CEPtra, by reason',
          labelNames: ['job', 'reason'],
          registers,
        }),
    ),
    rejectOverload: reuse(
      registry,
      'ceptra_client_reject_overload_total',
      () =>
        new Counter({
          name: 'ceptra_client_reject_overload_total',
          help: 'Results with reason LANE_OVERFLOW (SDK: reject_overload_total_ms)',
          labelNames: ['job'],
          registers,
        }),
    ),
  };
}

export class ClientMetrics {
  readonly counters: ClientCounters = {
    clientWindowSize: 0,
    rejectOverload: 0,
    appendRetry: 0,
    retriesByReason: {},
    rejectedByReason: {},
  };
  private readonly prom: Prom | undefined;

  constructor(
    registry: Registry | undefined,
    private readonly job: string,
  ) {
    this.prom = registry ? createProm(registry) : undefined;
  }

  request(route: string, outcome: string, rttMs: number): void {
    this.prom?.requests.inc({ job: this.job, route, outcome });
    this.prom?.latency.observe({ job: this.job, route }, rttMs / 1000);
  }

  retry(reason: string): void {
    this.counters.appendRetry++;
    this.counters.retriesByReason[reason] = (this.counters.retriesByReason[reason] ?? 0) + 1;
    this.prom?.retries.inc({ job: this.job, reason });
  }

  rejected(reason: string): void {
    this.counters.rejectedByReason[reason] = (this.counters.rejectedByReason[reason] ?? 0) + 1;
    this.prom?.rejected.inc({ job: this.job, reason });
  }

  overload(): void {
    this.counters.rejectOverload++;
    this.prom?.rejectOverload.inc({ job: this.job });
  }

  clientWindowSize(n: number): void {
    this.counters.clientWindowSize = n;
    this.prom?.clientWindowSize.set({ job: this.job }, n);
  }

  creditWindow(n: number): void {
    this.prom?.creditWindow.set({ job: this.job }, n);
  }
}

/** Outcome label for an HTTP status (0 = network error / timeout). */
export function outcomeOf(status: number): string {
  if (status === 0) return 'network';
  if (status >= 200 && status < 300) return '2xx';
  if (status === 429 || status === 503) return String(status);
  if (status >= 500) return '5xx';
  return '4xx';
}
