/**
 * Runs a job: window(s) × partitions. Partitions stream side by side (up to `parallelPartitions`),
 * each supervised by `supervisePartition`; this main-thread object is the single writer of cursors
 * (`CursorCommitter`), and keeps the run's ledger (progress, totals, metrics).
 *
 * Cursor rule: a batch's cursor moves only after the batch before it in its partition moved, and
 * a batch with refused events moves only once their dead letters are durable — so a crash can
 * never skip a refused event, and a cursor never skips an event.
 */
import { setMaxListeners } from 'node:events';
import { ErrorCode, errorMessage, isReplayError, ReplayError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Sink, SinkAttempt } from '../sinks/sink.js';
import type { Source, SourcePosition } from '../sources/source.js';
import { CursorCommitter } from './committer.js';
import type { Cursor, CursorStore, DeadLetterRecord } from './cursor.js';
import { InlineExecutor, type PartitionExecutor } from './executor.js';
import type { ReplayMetrics } from './metrics.js';
import type { AckedBatch } from './partition-runner.js';
import { type PartitionContext, supervisePartition } from './partition-supervisor.js';
import { eventsToDeadLetters } from './poison.js';
import { type JobSummary, RunLedger, type RunSnapshot } from './run-ledger.js';
import { type JobSpec, type PartitionKnobs, PartitionState, replayStreamId } from './types.js';

export type { JobSummary, PartitionProgress, RunSnapshot } from './run-ledger.js';

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
  /** Where poison and refused events go; they are never dropped silently. */
  deadLetters?(records: readonly DeadLetterRecord[]): Promise<void>;
}

export interface FlowHooks {
  knobs(partition: number): PartitionKnobs;
  /** Awaited before each batch: pace, global cap; records whether the limit was used. */
  beforeLaunch(partition: number, events: number, inflightNow: number, signal: AbortSignal): Promise<void>;
  /** Attempts reported by sinks in worker threads. */
  onAttempt(a: SinkAttempt): void;
  /** A partition is over (done, failed or interrupted): drop its state and series. */
  forget(partition: number): void;
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
  private readonly ledger: RunLedger;

  constructor(
    private readonly deps: JobRunDeps,
    private readonly spec: JobSpec,
  ) {
    const end = spec.windows[spec.windows.length - 1]!.endNs;
    this.ledger = new RunLedger(spec.job, end, spec.fold, deps.logger, deps.metrics);
  }

  /** Source-side fold of everything acknowledged in this run (null when not folding). */
  get panes() {
    return this.ledger.panes;
  }

  /** Partitions whose fold covers their whole window (they started from the beginning in this run). */
  get foldedFromStart(): ReadonlySet<number> {
    return this.ledger.foldedFromStart;
  }

  snapshot(): RunSnapshot {
    return this.ledger.snapshot();
  }

  async run(opts: JobRunOptions): Promise<JobSummary> {
    const { spec, deps, ledger } = this;
    const { logger } = deps;
    const cursors = await deps.store.load(spec.job);
    ledger.begin(spec.partitions, cursors, opts.planned);

    // One failing partition (or a lost lock) stops the others gracefully: cursors stay consistent.
    const internalStop = new AbortController();
    const stop = AbortSignal.any([opts.stop, internalStop.signal]);
    // Every in-flight send listens on these: partitions × in-flight is legitimately above Node's
    // default warning threshold of 10 listeners.
    setMaxListeners(0, stop, opts.abort);
    let firstError: unknown;
    const fail = (err: unknown) => {
      firstError ??= err;
      internalStop.abort();
    };
    const onFence = () => {
      logger.error({ error: errorMessage(opts.fence?.reason) }, 'run lock lost; stopping');
      fail(opts.fence?.reason ?? new ReplayError(ErrorCode.LockLost, 'the run lock was lost'));
    };
    if (opts.fence?.aborted) onFence();
    else opts.fence?.addEventListener('abort', onFence, { once: true });

    const committer = this.committer(cursors, fail);
    committer.start();
    const epochOf = (p: number) => committer.get(p)?.epoch ?? spec.epoch;
    const chains = new Map<number, Promise<void>>();
    const advance = (a: AckedBatch) => {
      const prev = committer.get(a.partition);
      const acked = (prev?.acked ?? 0n) + BigInt(a.events);
      committer.advance({ ...a.cursor, acked, done: false, epoch: epochOf(a.partition) }, a.events);
    };
    const onAck = (a: AckedBatch) => {
      ledger.acked(a);
      const chain = chains.get(a.partition);
      if (a.rejected.length === 0 && !chain) return advance(a);
      const next = (chain ?? Promise.resolve()).then(async () => {
        if (a.rejected.length > 0) await this.recordRejected(a);
        advance(a);
      });
      chains.set(a.partition, next);
      next.catch(fail);
    };

    const flow = deps.flow;
    const ctx: PartitionContext = {
      executor: deps.executor ?? this.inlineExecutor(),
      ledger,
      logger,
      stop,
      abort: opts.abort,
      stream: (p) => replayStreamId(spec.job, p, epochOf(p)),
      cursor: (p) => committer.get(p),
      knobs: (p) => this.knobsFor(p),
      beforeLaunch: async (p, events, inflightNow) => {
        await committer.room(stop);
        await flow?.beforeLaunch(p, events, inflightNow, stop).catch(() => undefined);
      },
      ...(flow ? { onAttempt: flow.onAttempt } : {}),
      onAck,
      onDeadLetters: (records) => this.recordPoison(records),
      settled: async (p) => {
        await chains.get(p);
      },
      finished: (p) => {
        committer.markDone(p, committer.get(p) ?? emptyCursor(p, epochOf(p)));
        ledger.done(p);
      },
      fail,
    };
    const queue = spec.partitions.filter((p) => ledger.of(p).state !== PartitionState.Done);
    deps.source?.expectReads?.(new Map(queue.map((p) => [p, positionOf(committer.get(p))])));
    const lanes = Array.from(
      { length: Math.max(1, Math.min(spec.parallelPartitions, queue.length)) },
      async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) {
          if (stop.aborted) ledger.setState(p, PartitionState.Interrupted);
          else {
            await supervisePartition(p, ctx);
            // Finished partitions leave the controller: no stale gauges, no skewed median pace.
            flow?.forget(p);
          }
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
    return ledger.summary(firstError, errorMessage);
  }

  private committer(cursors: ReadonlyMap<number, Cursor>, fail: (err: unknown) => void): CursorCommitter {
    const { spec, deps } = this;
    const { logger, metrics } = deps;
    const job = spec.job;
    let failures = 0;
    const committer: CursorCommitter = new CursorCommitter(
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
          if (failures > 0) logger.info({ failures }, 'cursor commits succeed again');
          failures = 0;
        },
        onError: (err) => {
          metrics?.cursorCommitFailures.inc({ job });
          // A regression means another writer: stop at once. Anything else is retried.
          if (isReplayError(err) && err.code === ErrorCode.CursorRegression) return fail(err);
          if (failures++ % 25 === 0)
            logger.warn(
              { error: errorMessage(err), failures, uncommitted: committer.uncommitted },
              'cursor commit failed; will retry (new batches wait once flow.maxUncommittedEvents are uncommitted)',
            );
        },
        onUncommitted: (n) => metrics?.uncommitted.set({ job }, n),
      },
      cursors.values(),
    );
    return committer;
  }

  private inlineExecutor(): PartitionExecutor {
    const { spec, deps } = this;
    if (!deps.source || !deps.sink)
      throw new ReplayError(
        ErrorCode.Bug,
        'JobRunner: neither an executor nor a source and a sink were given',
      );
    return new InlineExecutor(spec.job, spec.windows, deps.source, deps.sink, spec.readBatchSize, spec.fold);
  }

  private knobsFor(partition: number): PartitionKnobs {
    return (
      this.deps.flow?.knobs(partition) ??
      this.deps.knobs?.(partition) ?? { batchSize: this.spec.batchSize, maxInFlight: this.spec.maxInFlight }
    );
  }

  /** Source poison rows and sure refusals, written before the partition reads on. */
  private async recordPoison(records: readonly DeadLetterRecord[]): Promise<void> {
    this.ledger.deadLettered(records, 'poison events sent to dead letters');
    if (!this.deps.deadLetters)
      throw new ReplayError(ErrorCode.Poison, 'poison events and no dead-letter store configured');
    await this.deps.deadLetters(records);
  }

  private async recordRejected(a: AckedBatch): Promise<void> {
    const records = eventsToDeadLetters(
      this.spec.job,
      a.partition,
      a.rejected.map((e) => ({ event: e, reason: e.reason })),
    );
    this.ledger.deadLettered(records, 'target refused events permanently');
    if (!this.deps.deadLetters)
      throw new ReplayError(ErrorCode.Poison, 'refused events and no dead-letter store configured');
    await this.deps.deadLetters(records);
  }
}

function emptyCursor(partition: number, epoch: number): Omit<Cursor, 'done'> {
  return { partition, tsNs: 0n, eventId: '', seq: 0n, acked: 0n, epoch };
}

export type { Cursor };

/** Where a partition's read starts: after its cursor (with the source's token), or the beginning. */
function positionOf(c: Cursor | undefined): SourcePosition | null {
  if (!c) return null;
  return { tsNs: c.tsNs, eventId: c.eventId, ...(c.resume === undefined ? {} : { resume: c.resume }) };
}
