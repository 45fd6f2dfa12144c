/** The dead-letter commands composed: the job's state store, and for a retry its lock and sink. */
import { Registry } from 'prom-client';
import { Closers } from '../common/closers.js';
import type { Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import type { StateStore } from '../engine/cursor.js';
import { type RetrySummary, retryDeadLetters } from '../engine/dead-letters.js';
import { createStateStore } from '../stores/index.js';
import { openSink, portsConfig } from './open.js';

/** Runs `fn` on the job's opened state store, closed afterwards. */
export async function withJobStore<T>(
  config: JobConfig,
  logger: Logger,
  fn: (store: StateStore) => Promise<T>,
): Promise<T> {
  const store = createStateStore(config.state, { logger });
  try {
    await store.init();
    return await fn(store);
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * Re-drives the job's dead letters. It writes them (retry outcomes), so it holds the job's run
 * lock like a run does: never while a run of the job (or of its state file) is writing.
 */
export function retryJobDeadLetters(
  config: JobConfig,
  logger: Logger,
  opts: { ids?: number[]; reason?: string },
): Promise<RetrySummary> {
  return withJobStore(config, logger, async (store) => {
    const closers = new Closers(logger);
    try {
      closers.add('run lock', await store.lock(config.job), (l) => l.release());
      const sink = closers.add('sink', await openSink(portsConfig(config), logger, new Registry()), (s) =>
        s.close(),
      );
      return await retryDeadLetters(store, sink, config.job, opts);
    } finally {
      await closers.closeAll();
    }
  });
}
