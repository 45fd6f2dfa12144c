/**
 * The replayer's own Prometheus metrics (contract §8 names plus the spine's). The registry is
 * injected; every series carries `job`.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ReplayMetrics {
  events: Counter<'job'>;
  bytes: Counter<'job'>;
  batches: Counter<'job'>;
  partitionLag: Gauge<'job' | 'partition'>;
  cursorEventTime: Gauge<'job' | 'partition'>;
  batchSize: Histogram<'job'>;
  inflight: Gauge<'job'>;
  retries: Counter<'job' | 'reason'>;
  resent: Counter<'job'>;
  rejected: Counter<'job' | 'reason'>;
  duplicates: Counter<'job'>;
  cursorCommits: Counter<'job'>;
  cursorCommitFailures: Counter<'job'>;
  uncommitted: Gauge<'job'>;
  workerCrashes: Counter<'job'>;
}

export function createReplayMetrics(registry: Registry): ReplayMetrics {
  const registers = [registry];
  return {
    events: new Counter({
      name: 'replay_events_total',
      help: 'Events acknowledged by the target',
      labelNames: ['job'],
      registers,
    }),
    bytes: new Counter({
      name: 'replay_bytes_total',
      help: 'Payload bytes acknowledged by the target',
      labelNames: ['job'],
      registers,
    }),
    batches: new Counter({
      name: 'replay_batches_total',
      help: 'Batches fully acknowledged',
      labelNames: ['job'],
      registers,
    }),
    partitionLag: new Gauge({
      name: 'replay_partition_lag_seconds',
      help: "Event-time distance from the partition's cursor to the window end",
      labelNames: ['job', 'partition'],
      registers,
    }),
    cursorEventTime: new Gauge({
      name: 'replay_cursor_event_time_seconds',
      help: 'Event time of the committed-or-acknowledged cursor, Unix seconds',
      labelNames: ['job', 'partition'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'replay_batch_events',
      help: 'Events per acknowledged batch (distribution; the live limit is the gauge replay_batch_size{partition})',
      labelNames: ['job'],
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2000, 5000, 10000],
      registers,
    }),
    inflight: new Gauge({
      name: 'replay_inflight_batches',
      help: 'Batches in flight across partitions',
      labelNames: ['job'],
      registers,
    }),
    retries: new Counter({
      name: 'replay_retries_total',
      help: 'Send attempts beyond the first, by reason',
      labelNames: ['job', 'reason'],
      registers,
    }),
    resent: new Counter({
      name: 'replay_resent_events_total',
      help: 'Events sent more than once (throttle re-sends, and crash re-sends the target absorbed)',
      labelNames: ['job'],
      registers,
    }),
    rejected: new Counter({
      name: 'replay_rejected_events_total',
      help: 'Events the target refused permanently, by reason',
      labelNames: ['job', 'reason'],
      registers,
    }),
    duplicates: new Counter({
      name: 'replay_duplicate_events_total',
      help: 'Events the target acknowledged as already applied',
      labelNames: ['job'],
      registers,
    }),
    workerCrashes: new Counter({
      name: 'replay_worker_crashes_total',
      help: 'Worker threads that died mid-partition (the partition resumed in a fresh task)',
      labelNames: ['job'],
      registers,
    }),
    cursorCommits: new Counter({
      name: 'replay_cursor_commits_total',
      help: 'Cursor store writes',
      labelNames: ['job'],
      registers,
    }),
    cursorCommitFailures: new Counter({
      name: 'replay_cursor_commit_failures_total',
      help: 'Cursor store writes that failed (retried at the next commit)',
      labelNames: ['job'],
      registers,
    }),
    uncommitted: new Gauge({
      name: 'replay_uncommitted_events',
      help: 'Events acknowledged by the target whose cursor is not yet durable (past flow.maxUncommittedEvents new batches wait)',
      labelNames: ['job'],
      registers,
    }),
  };
}
