/**
 * `/metrics` (Prometheus text) and `/healthz` on 127.0.0.1. With worker threads, each thread's
 * sink counts its own `ceptra_client_*` series in a registry of the thread; the main thread
 * receives their snapshots (pool protocol `metrics`) and `MergedMetrics` adds them up with its own
 * registry at every scrape (prom-client's aggregator: counters and histograms summed).
 */
import { createServer, type Server } from 'node:http';
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';

export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

type Snapshot = MetricObjectWithValues<MetricValue<string>>[];

/** The main registry plus whatever snapshot providers (a run's worker threads) are attached. */
export class MergedMetrics implements MetricsSource {
  private readonly providers: (() => unknown[])[] = [];
  constructor(private readonly registry: Registry) {}

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Snapshots to add at each scrape (e.g. `replay.workerMetrics`). */
  add(provider: () => unknown[]): void {
    this.providers.push(provider);
  }

  async metrics(): Promise<string> {
    const extra = this.providers.flatMap((p) => p()) as Snapshot[];
    if (extra.length === 0) return this.registry.metrics();
    const own = (await this.registry.getMetricsAsJSON()) as Snapshot;
    return AggregatorRegistry.aggregate([own, ...extra]).metrics();
  }
}

export async function startMetricsServer(
  source: MetricsSource,
  port: number,
  host = '127.0.0.1',
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/metrics')) {
      source.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': source.contentType });
          res.end(text);
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
      return;
    }
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return {
    server,
    url: `http://${host}:${actual}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
