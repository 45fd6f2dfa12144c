/**
 * Runs partitions in a piscina pool of worker threads. Each task talks to the main thread over
 * its own MessagePort only (protocol.ts; the main end is task-channel.ts): per batch an acquire,
 * a grant carrying the partition's current knobs, and one ack; stop and abort are messages too.
 * The main thread stays the single writer of cursors. A worker that dies mid-task is detected
 * (the task rejects), counted, and its partition resumes in a fresh task from the latest
 * contiguous cursor the main thread holds — the target absorbs anything that was in flight
 * (replay sequencing / event-id dedup).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { execArgvFor } from '../../common/ts-loader.js';
import type { TimeWindow } from '../../sources/source.js';
import type { PartitionExecutor, PartitionTask } from '../executor.js';
import type { PartitionRunResult } from '../partition-runner.js';
import type { FoldSpec } from '../verify/fold.js';
import { fromWireError, type WorkerResult, type WorkerTask } from './protocol.js';
import { TaskChannel } from './task-channel.js';

export interface PoolExecutorOptions {
  job: string;
  windows: readonly TimeWindow[];
  /** Worker threads (default: available cores). */
  workers?: number;
  /** Partitions streamed at once across the pool; bounds tasks per worker. */
  parallelPartitions: number;
  partitions: number[];
  readBatchSize: number;
  fold?: FoldSpec;
  /** Worker entry: a module whose default export is `makePartitionTask(factory)` (see worker.ts). */
  workerFile: string;
  portsSpec: unknown;
  logger: Logger;
  /** Fresh tasks after worker deaths, per partition, before the job fails. */
  maxRestarts?: number;
  onWorkerCrash?(partition: number, err: unknown): void;
  /** V8 young generation per worker thread, MiB (default WORKER_YOUNG_GENERATION_MB). */
  youngGenerationMb?: number;
}

/**
 * Young generation of each worker thread. A worker keeps every in-flight batch alive across a
 * few HTTP round trips (events, their buffers and encoded prefixes), so with V8's default
 * (16 MiB semi-spaces, 48 MiB here) much of it survives several scavenges and is copied, then
 * promoted. 128 MiB lets it die young: replay CPU for 1M events (bench/e2e.ts data, static flow,
 * 3 alternating runs each on the shared 2-core box) went from 30.8 / 32.0 / 31.4 s to
 * 25.7 / 28.1 / 27.9 s (−13 %). Costs up to ~80 MiB more RSS per worker.
 */
export const WORKER_YOUNG_GENERATION_MB = 128;

export class PoolExecutor implements PartitionExecutor {
  readonly pool: Piscina;
  private readonly partitions: ReadonlySet<number>;
  /** The latest metrics snapshot of each worker thread (its sink's series). */
  private readonly threadMetrics = new Map<number, unknown>();
  crashes = 0;

  constructor(private readonly opts: PoolExecutorOptions) {
    const threads = Math.max(1, opts.workers ?? availableParallelism());
    this.partitions = new Set(opts.partitions);
    const filename = opts.workerFile.startsWith('file:') ? fileURLToPath(opts.workerFile) : opts.workerFile;
    this.pool = new Piscina({
      filename,
      execArgv: execArgvFor(filename),
      minThreads: threads,
      maxThreads: threads,
      // Bounded: at most this many partitions active per worker; the job runner never queues more
      // than parallelPartitions tasks in total.
      concurrentTasksPerWorker: Math.max(1, Math.ceil(opts.parallelPartitions / threads)),
      idleTimeout: 60_000,
      resourceLimits: { maxYoungGenerationSizeMb: opts.youngGenerationMb ?? WORKER_YOUNG_GENERATION_MB },
    });
  }

  async run(t: PartitionTask): Promise<PartitionRunResult> {
    if (!this.partitions.has(t.partition))
      throw new Error(`partition ${t.partition} is not part of this pool`);
    let start = t.start;
    let total = 0;
    for (let restarts = 0; ; restarts++) {
      const res = await this.runOnce(t, start);
      start = res.cursor;
      if (res.kind === 'result') {
        total += res.result.events;
        const r = res.result;
        if (r.outcome === 'failed') throw fromWireError(r.error!);
        return { partition: t.partition, outcome: r.outcome, events: total };
      }
      total += res.events;
      this.crashes++;
      this.opts.onWorkerCrash?.(t.partition, res.error);
      this.opts.logger.warn(
        { partition: t.partition, err: String(res.error), restarts: restarts + 1 },
        'worker died; resuming the partition from its latest cursor in a fresh task',
      );
      if (restarts + 1 > (this.opts.maxRestarts ?? 5)) {
        throw new ReplayError(
          ErrorCode.WorkerCrashed,
          `partition ${t.partition}: worker died ${restarts + 1} times`,
          {
            cause: res.error,
          },
        );
      }
      if (t.stop.aborted) return { partition: t.partition, outcome: 'interrupted', events: total };
    }
  }

  private async runOnce(
    t: PartitionTask,
    start: PartitionTask['start'],
  ): Promise<
    | { kind: 'result'; result: WorkerResult; cursor: PartitionTask['start'] }
    | { kind: 'crash'; error: unknown; events: number; cursor: PartitionTask['start'] }
  > {
    const channel = new TaskChannel({ ...t, start }, (thread, snapshot) =>
      this.threadMetrics.set(thread, snapshot),
    );
    const task: WorkerTask = {
      job: this.opts.job,
      partition: t.partition,
      stream: t.stream,
      windows: this.opts.windows.map((w) => ({ startNs: w.startNs.toString(), endNs: w.endNs.toString() })),
      start: start
        ? {
            tsNs: start.tsNs.toString(),
            eventId: start.eventId,
            seq: start.seq.toString(),
            acked: start.acked.toString(),
            ...(start.resume === undefined ? {} : { resume: start.resume }),
          }
        : null,
      knobs: { batchSize: t.knobs.batchSize, maxInFlight: t.knobs.maxInFlight },
      readBatchSize: this.opts.readBatchSize,
      fold: this.opts.fold
        ? { paneNs: this.opts.fold.paneNs.toString(), metrics: [...this.opts.fold.metrics] }
        : null,
      portsSpec: this.opts.portsSpec,
      port: channel.workerPort,
    };
    let result: WorkerResult;
    try {
      result = (await this.pool.run(task, { transferList: [channel.workerPort] as never })) as WorkerResult;
      await channel.drained(result.acks);
    } catch (error) {
      channel.close();
      return { kind: 'crash', error, events: channel.events, cursor: channel.cursor };
    }
    channel.close();
    if (channel.protocolError) throw channel.protocolError;
    return { kind: 'result', result, cursor: channel.cursor };
  }

  /** The latest metrics snapshot of every worker thread that sent one. */
  workerMetrics(): unknown[] {
    return [...this.threadMetrics.values()];
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
