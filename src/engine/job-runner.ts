/**
 * Runs a job: window(s) × partitions. Partitions stream side by side (up to
 * `parallelPartitions`), each through `runPartition`; this main-thread object is the single writer
 * of cursors, the owner of metrics and the source of progress snapshots.
 */
import { setMaxListeners } from 'node:events';
import { errorMessage, isReplayError, ReplayError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Sink, SinkAttempt } from '../sinks/sink.js';
import type { Source } from '../sources/source.js';
import { CursorCommitter } from './committer.js';
import type { Cursor, CursorStore, DeadLetterRecord } from './cursor.js';
import { InlineExecutor, type PartitionExecutor } from './executor.js';
import type { ReplayMetrics } from './metrics.js';
import type { AckedBatch } from './partition-runner.js';
import { eventsToDeadLetters } from './poison.js';
import { GapTracker } from './sequence-gap.js';
import {
  type JobOutcome,
  type JobSpec,
  type PartitionKnobs,
  PartitionState,
  replayStreamId,
} from './types.js';
import { PaneAccumulator } from './verify/fold.js';

export interface JobRunDeps {
  /** Used inline when no executor is given. */
  source?: Source;
  sink?: Sink;
  /** Runs partitions (a worker pool); default: inline on this thread with source and sink. */
  executor?: PartitionExecutor;
  /** Live knobs per partition (the flow controller); default: the spec's static values. */
  knobs?(partition: number): PartitionKnobs;
  /** Flow control hooks (take precedence over `knobs`). */
  flow?: FlowHooks;
  store: CursorStore;
  logger: Logger;
  metrics?: ReplayMetrics;
  /** Where permanently refused events go; they are never dropped silently. */
  deadLetters?(records: readonly DeadLetterRecord[]): Promise<void>;
}

export interface FlowHooks {
  knobs(partition: number): PartitionKnobs;
  /** Awaited before each batch: pace, global cap; records whether the limit was used. */
  beforeLaunch(partition: number, events: number, inflightNow: number, signal: AbortSignal): Promise<void>;
  /** Attempts reported by sinks in worker threads. */
  onAttempt(a: SinkAttempt): void;
}

export interface PartitionProgress {
  partition: number;
  state: PartitionState;
  acked: number;
  planned: number;
  cursorTsNs: bigint | null;
}

export interface JobSummary {
  job: string;
  outcome: JobOutcome;
  events: number;
  bytes: number;
  batches: number;
  durationMs: number;
  eventsPerSec: number;
  retries: Record<string, number>;
  resent: number;
  duplicates: number;
  rejected: Record<string, number>;
  partitions: PartitionProgress[];
  error?: string;
}

export interface JobRunOptions {
  stop: AbortSignal;
  abort: AbortSignal;
  /**
   * Aborts when this run may no longer write (its run lock was lost); its `reason` becomes the
   * job's error and the job stops like on a failure.
   */
  fence?: AbortSignal;
  /** Planned events per partition (progress totals). */
  planned?: Map<number, number>;
}

export class JobRunner {
  private readonly progress = new Map<number, PartitionProgress>();
  private readonly totals = { events: 0, bytes: 0, batches: 0, resent: 0, duplicates: 0 };
  private readonly retries: Record<string, number> = {};
  private readonly rejected: Record<string, number> = {};
  private startedAt = 0;
  /** Source-side fold of everything acknowledged in this run, in contiguous order per partition. */
  readonly panes: PaneAccumulator | null;
  /** Partitions whose fold covers their whole window (they started from the beginning in this run). */
  readonly foldedFromStart = new Set<number>();
  private inflight = 0;

  constructor(
    private readonly deps: JobRunDeps,
    private readonly spec: JobSpec,
  ) {
    this.panes = spec.fold ? new PaneAccumulator(spec.fold) : null;
  }

  /** A consistent snapshot for progress displays. */
  snapshot(): {
    events: number;
    bytes: number;
    elapsedMs: number;
    inflight: number;
    partitions: PartitionProgress[];
  } {
    return {
      events: this.totals.events,
      bytes: this.totals.bytes,
      elapsedMs: this.startedAt ? Date.now() - this.startedAt : 0,
      inflight: this.inflight,
      partitions: [...this.progress.values()].map((p) => ({ ...p })),
    };
  }

  async run(opts: JobRunOptions): Promise<JobSummary> {
    const { spec, deps } = this;
    const { logger, metrics } = deps;
    const job = spec.job;
    this.startedAt = Date.now();
    const cursors = await deps.store.load(job);
    const windowEnd = spec.windows[spec.windows.length - 1]!.endNs;
    for (const p of spec.partitions) {
      const c = cursors.get(p);
      this.progress.set(p, {
        partition: p,
        state: c?.done ? PartitionState.Done : PartitionState.Pending,
        acked: c ? Number(c.acked) : 0,
        planned: (opts.planned?.get(p) ?? 0) + (c ? Number(c.acked) : 0),
        cursorTsNs: c?.tsNs ?? null,
      });
    }
    // One failing partition stops the others gracefully (cursors stay consistent).
    const internalStop = new AbortController();
    const stop = AbortSignal.any([opts.stop, internalStop.signal]);
    // Every in-flight send listens on these: partitions × in-flight is legitimately above Node's
    // default warning threshold of 10 listeners.
    setMaxListeners(0, stop, opts.abort);
    let firstError: unknown;
    const failJob = (err: unknown) => {
      firstError ??= err;
      internalStop.abort();
    };
    const onFence = () => {
      logger.error({ error: errorMessage(opts.fence?.reason) }, 'run lock lost; stopping');
      failJob(opts.fence?.reason ?? new ReplayError('LOCK_LOST', 'the run lock was lost'));
    };
    if (opts.fence?.aborted) onFence();
    else opts.fence?.addEventListener('abort', onFence, { once: true });
    let commitFailures = 0;
    const committer = new CursorCommitter(
      {
        job,
        store: deps.store,
        intervalMs: spec.commitIntervalMs,
        everyBatches: spec.commitEveryBatches,
        ...(spec.maxUncommittedEvents !== undefined
          ? { maxUncommittedEvents: spec.maxUncommittedEvents }
          : {}),
        onCommit: () => {
          metrics?.cursorCommits.inc({ job });
          if (commitFailures > 0) logger.info({ failures: commitFailures }, 'cursor commits succeed again');
          commitFailures = 0;
        },
        onError: (err) => {
          metrics?.cursorCommitFailures.inc({ job });
          // A regression means another writer: stop at once. Anything else is retried.
          if (isReplayError(err) && err.code === 'CURSOR_REGRESSION') return failJob(err);
          if (commitFailures++ % 25 === 0)
            logger.warn(
              { error: errorMessage(err), failures: commitFailures, uncommitted: committer.uncommitted },
              'cursor commit failed; will retry (new batches wait once flow.maxUncommittedEvents are uncommitted)',
            );
        },
        onUncommitted: (n) => metrics?.uncommitted.set({ job }, n),
      },
      cursors.values(),
    );
    committer.start();
    const epochOf = (p: number) => committer.get(p)?.epoch ?? spec.epoch;
    // A batch with refused events moves its cursor only once their dead letters are durable, and
    // later batches of that partition queue behind it, so a crash can never skip a refused event.
    const chains = new Map<number, Promise<void>>();
    const advance = (a: AckedBatch) => {
      const prev = committer.get(a.partition);
      committer.advance(
        {
          ...a.cursor,
          acked: (prev?.acked ?? 0n) + BigInt(a.events),
          done: false,
          epoch: epochOf(a.partition),
        },
        a.events,
      );
    };

    for (const p of spec.partitions) if (!cursors.get(p)) this.foldedFromStart.add(p);
    const onAck = (a: AckedBatch) => {
      if (a.panes) this.panes?.add(a.panes);
      if (a.builtinPanes) this.panes?.addBuiltins(a.partition, a.builtinPanes);
      const chain = chains.get(a.partition);
      if (a.rejected.length > 0 || chain) {
        const next = (chain ?? Promise.resolve()).then(async () => {
          if (a.rejected.length > 0) await this.recordRejected(a);
          advance(a);
        });
        chains.set(a.partition, next);
        next.catch(failJob);
      } else {
        advance(a);
      }
      const ackedSoFar = BigInt(this.progress.get(a.partition)!.acked) + BigInt(a.events);
      const pr = this.progress.get(a.partition)!;
      pr.acked = Number(ackedSoFar);
      pr.cursorTsNs = a.cursor.tsNs;
      this.totals.events += a.events;
      this.totals.bytes += a.bytes;
      this.totals.batches++;
      this.totals.resent += a.ack.resent;
      this.totals.duplicates += a.ack.duplicates;
      for (const [reason, n] of Object.entries(a.ack.retries)) {
        this.retries[reason] = (this.retries[reason] ?? 0) + n;
        metrics?.retries.inc({ job, reason }, n);
      }
      if (metrics) {
        metrics.events.inc({ job }, a.events);
        metrics.bytes.inc({ job }, a.bytes);
        metrics.batches.inc({ job });
        metrics.batchSize.observe({ job }, a.events);
        if (a.ack.resent) metrics.resent.inc({ job }, a.ack.resent);
        if (a.ack.duplicates) metrics.duplicates.inc({ job }, a.ack.duplicates);
        const label = { job, partition: String(a.partition) };
        metrics.cursorEventTime.set(label, Number(a.cursor.tsNs / 1000n) / 1e6);
        metrics.partitionLag.set(label, Math.max(0, Number((windowEnd - a.cursor.tsNs) / 1_000_000n) / 1000));
      }
    };

    const executor =
      deps.executor ??
      new InlineExecutor(
        job,
        spec.windows,
        deps.source ?? missing('source'),
        deps.sink ?? missing('sink'),
        spec.readBatchSize,
        spec.fold,
      );
    const queue = spec.partitions.filter((p) => this.progress.get(p)!.state !== PartitionState.Done);
    const runOne = async (partition: number) => {
      const pr = this.progress.get(partition)!;
      pr.state = PartitionState.Running;
      const gaps = new GapTracker();
      for (let attempt = 0; ; attempt++) {
        try {
          const flow = deps.flow;
          const res = await executor.run({
            partition,
            stream: replayStreamId(job, partition, epochOf(partition)),
            start: committer.get(partition) ?? null,
            knobs: this.knobsFor(partition),
            onDeadLetters: (records) => this.recordPoison(records),
            // Before each batch: room in the uncommitted bound, then the flow controller's pace.
            beforeLaunch: async (events: number, inflightNow: number) => {
              await committer.room(stop);
              await flow?.beforeLaunch(partition, events, inflightNow, stop).catch(() => undefined);
            },
            ...(flow ? { onAttempt: flow.onAttempt } : {}),
            stop,
            abort: opts.abort,
            onAck,
            onInflight: (d) => {
              this.inflight += d;
              metrics?.inflight.set({ job }, this.inflight);
            },
          });
          await chains.get(partition);
          if (res.outcome === 'done') {
            const c = committer.get(partition);
            committer.markDone(
              partition,
              c ?? { partition, tsNs: 0n, eventId: '', seq: 0n, acked: 0n, epoch: epochOf(partition) },
            );
            pr.state = PartitionState.Done;
            metrics?.partitionLag.set({ job, partition: String(partition) }, 0);
          } else {
            pr.state = PartitionState.Interrupted;
          }
          return;
        } catch (caught) {
          await chains.get(partition)?.catch(() => undefined);
          // A sequence gap is closed by resuming from the cursor only when the target has every
          // seq up to it, and only once per target position: otherwise the partition fails.
          const err =
            isReplayError(caught) && caught.code === 'SEQUENCE_GAP'
              ? gaps.judge(caught, committer.get(partition)?.seq ?? 0n)
              : caught;
          if (isReplayError(err) && err.code === 'SEQUENCE_GAP' && !stop.aborted) {
            logger.warn(
              { partition, error: err.message, resumeFromSeq: String(committer.get(partition)?.seq ?? 0n) },
              'replay stream resync: resuming the partition from its cursor',
            );
            this.retries.sequence_resync = (this.retries.sequence_resync ?? 0) + 1;
            metrics?.retries.inc({ job, reason: 'sequence_resync' });
            continue;
          }
          if (isReplayError(err) && err.canRetry && !stop.aborted) {
            // A dropped source connection or a target outage past the sink's deadline: pause this
            // partition only, keep its cursor, and resume from it by itself (the target absorbs
            // whatever was in flight).
            const reason = err.code === 'SOURCE_ERROR' ? 'source_reconnect' : 'target_outage';
            pr.state =
              reason === 'source_reconnect' ? PartitionState.Reconnecting : PartitionState.WaitingForTarget;
            this.retries[reason] = (this.retries[reason] ?? 0) + 1;
            metrics?.retries.inc({ job, reason });
            const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6)) * (0.5 + Math.random() / 2);
            logger.warn(
              { partition, code: err.code, error: err.message, retryInMs: Math.round(delay) },
              `partition ${pr.state}`,
            );
            await sleep(delay, stop);
            if (stop.aborted) {
              pr.state = PartitionState.Interrupted;
              return;
            }
            pr.state = PartitionState.Running;
            continue;
          }
          pr.state = PartitionState.Failed;
          logger.error(
            { partition, code: (err as { code?: string }).code, error: errorMessage(err) },
            'partition failed; stopping the job gracefully',
          );
          failJob(err);
          return;
        }
      }
    };
    const lanes = Array.from(
      { length: Math.max(1, Math.min(spec.parallelPartitions, queue.length)) },
      async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
          if (stop.aborted) {
            this.progress.get(p)!.state = PartitionState.Interrupted;
            continue;
          }
          await runOne(p);
        }
      },
    );
    await Promise.all(lanes);
    await Promise.allSettled(chains.values());
    opts.fence?.removeEventListener('abort', onFence);
    try {
      await committer.close();
    } catch (err) {
      // The last cursors could not be made durable: the next run re-sends from the last committed
      // ones (the target absorbs them). Report it; the outcome is not `done`.
      logger.error({ error: errorMessage(err) }, 'final cursor commit failed');
      firstError ??= err;
    }

    const partitions = [...this.progress.values()];
    const outcome: JobOutcome =
      firstError !== undefined
        ? 'failed'
        : partitions.every((p) => p.state === PartitionState.Done)
          ? 'done'
          : 'interrupted';
    const durationMs = Date.now() - this.startedAt;
    return {
      job,
      outcome,
      events: this.totals.events,
      bytes: this.totals.bytes,
      batches: this.totals.batches,
      durationMs,
      eventsPerSec: durationMs > 0 ? Math.round((this.totals.events * 1000) / durationMs) : 0,
      retries: { ...this.retries },
      resent: this.totals.resent,
      duplicates: this.totals.duplicates,
      rejected: { ...this.rejected },
      partitions: partitions.map((p) => ({ ...p })),
      ...(firstError !== undefined ? { error: errorMessage(firstError) } : {}),
    };
  }

  private knobsFor(partition: number): PartitionKnobs {
    return (
      this.deps.flow?.knobs(partition) ??
      this.deps.knobs?.(partition) ?? { batchSize: this.spec.batchSize, maxInFlight: this.spec.maxInFlight }
    );
  }

  /** Source poison rows and sure refusals, written before the partition reads on. */
  private async recordPoison(records: readonly DeadLetterRecord[]): Promise<void> {
    const { job } = this.spec;
    for (const r of records) {
      this.rejected[r.reason] = (this.rejected[r.reason] ?? 0) + 1;
      this.deps.metrics?.rejected.inc({ job, reason: r.reason });
    }
    this.deps.logger.warn(
      {
        partition: records[0]?.partition,
        poison: records.slice(0, 5).map((r) => ({ eventId: r.eventId, reason: r.reason })),
      },
      'poison events sent to dead letters',
    );
    if (!this.deps.deadLetters)
      throw new ReplayError('POISON', 'poison events and no dead-letter store configured');
    await this.deps.deadLetters(records);
  }

  private async recordRejected(a: AckedBatch): Promise<void> {
    const { job } = this.spec;
    for (const e of a.rejected) {
      this.rejected[e.reason] = (this.rejected[e.reason] ?? 0) + 1;
      this.deps.metrics?.rejected.inc({ job, reason: e.reason });
    }
    const records = eventsToDeadLetters(
      job,
      a.partition,
      a.rejected.map((e) => ({ event: e, reason: e.reason, index: 0 })),
    );
    this.deps.logger.warn(
      {
        partition: a.partition,
        rejected: records.slice(0, 5).map((r) => ({ eventId: r.eventId, reason: r.reason })),
      },
      'target refused events permanently',
    );
    if (this.deps.deadLetters) await this.deps.deadLetters(records);
  }
}

export type { Cursor };

function missing(what: string): never {
  throw new Error(`JobRunner: no executor and no ${what} given`);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
