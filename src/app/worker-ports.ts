/**
 * The factories a pool worker builds its source and sink from (named to the engine by module
 * URL, so the engine itself never imports a driver). One spec per job; cached per worker thread.
 */

import { Registry } from 'prom-client';
import { createLogger } from '../common/logger.js';
import type { WorkerHooks, WorkerPorts } from '../engine/pool/worker.js';
import { openSink, openSource, type PortsConfig } from './open.js';

/**
 * A thread's source and sink, logging at the run's level. The sink's `ceptra_client_*` series go
 * to a registry of this thread, snapshotted for the main thread (which merges them into /metrics).
 */
export async function createWorkerPorts(spec: unknown, hooks: WorkerHooks): Promise<WorkerPorts> {
  const config = spec as PortsConfig;
  const logger = createLogger({ level: config.logLevel ?? 'warn' }).child({
    job: config.job,
    thread: 'worker',
  });
  const registry = new Registry();
  const source = await openSource(config, logger);
  const sink = await openSink(config, logger, registry);
  sink.onAttempt = hooks.onAttempt;
  return { source, sink, metrics: () => registry.getMetricsAsJSON() };
}

/** The worker entry module (sibling file, .ts from sources, .js when built). */
export const POOL_WORKER_FILE = new URL(
  `./pool-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
).href;
