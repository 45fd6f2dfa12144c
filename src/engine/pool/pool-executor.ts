/**
 * Runs partitions in a piscina pool of worker threads. Only small messages cross threads (acks,
 * in-flight deltas); knobs and stop flags live in a SharedArrayBuffer. The main thread stays the
 * single writer of cursors. A worker that dies mid-task is detected (the task rejects), counted,
 * and its partition resumes in a fresh task from the latest contiguous cursor the main thread
 * holds — the target absorbs anything that was in flight (replay sequencing / event-id dedup).
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ReplayError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { execArgvFor } from '../../common/ts-loader.js';
import type { TimeWindow } from '../../sources/source.js';
import type { PartitionExecutor, PartitionTask } from '../executor.js';
import type { PartitionRunResult } from '../partition-runner.js';
import type { FoldSpec } from '../verify/fold.js';
import { ControlBlock } from './control.js';
import {
  decodeAck,
  reviveDeadLetter,
  toWireError,
  type WorkerMessage,
  type WorkerResult,
  type WorkerTask,
} from './protocol.js';

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
  readonly control: ControlBlock;
  readonly pool: Piscina;
  private readonly slots = new Map<number, number>();
  crashes = 0;

  constructor(private readonly opts: PoolExecutorOptions) {
    const threads = Math.max(1, opts.workers ?? availableParallelism());
    for (const [i, p] of opts.partitions.entries()) this.slots.set(p, i);
    this.control = new ControlBlock(opts.partitions.length);
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

  slot(partition: number): number {
    const s = this.slots.get(partition);
    if (s === undefined) throw new Error(`partition ${partition} is not part of this pool`);
    return s;
  }

  async run(t: PartitionTask): Promise<PartitionRunResult> {
    const slot = this.slot(t.partition);
    let start = t.start;
    let total = 0;
    for (let restarts = 0; ; restarts++) {
      const res = await this.runOnce(t, slot, start, (c) => (start = c));
      if (res.kind === 'result') {
        total += res.result.events;
        const r = res.result;
        if (r.outcome === 'failed') {
          const e = r.error!;
          throw new ReplayError(e.code, e.message, {
            canRetry: e.canRetry,
            ...(e.details ? { details: e.details } : {}),
          });
        }
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
          'WORKER_CRASHED',
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
    slot: number,
    start: PartitionTask['start'],
    onCursor: (c: NonNullable<PartitionTask['start']>) => void,
  ): Promise<{ kind: 'result'; result: WorkerResult } | { kind: 'crash'; error: unknown; events: number }> {
    const { port1, port2 } = new MessageChannel();
    let received = 0;
    let events = 0;
    let inflight = 0;
    let waiter: (() => void) | null = null;
    port1.on('message', (m: WorkerMessage) => {
      if (m.t === 'inflight') {
        inflight += m.d;
        t.onInflight(m.d);
        return;
      }
      if (m.t === 'attempt') {
        t.onAttempt?.(m.a);
        return;
      }
      if (m.t === 'dead-letters') {
        const reply = (error?: unknown) =>
          port1.postMessage({
            t: 'dead-letters-done',
            id: m.id,
            ...(error === undefined ? {} : { error: toWireError(error, 'DEAD_LETTERS_FAILED') }),
          });
        const write = t.onDeadLetters
          ? t.onDeadLetters(m.records.map(reviveDeadLetter))
          : Promise.reject(new Error('no dead-letter store'));
        write.then(() => reply(), reply);
        return;
      }
      if (m.t === 'acquire') {
        const grant = () => {
          this.control.setKnobs(slot, t.knobs); // the freshest knobs before the batch goes
          port1.postMessage({ t: 'granted', id: m.id });
        };
        if (t.beforeLaunch) t.beforeLaunch(m.events, m.inflight).then(grant, grant);
        else grant();
        return;
      }
      const a = decodeAck(t.partition, m);
      received++;
      events += a.events;
      const prevAcked = start?.acked ?? 0n;
      onCursor({ ...a.cursor, acked: prevAcked + BigInt(a.events), done: false });
      start = { ...a.cursor, acked: prevAcked + BigInt(a.events), done: false };
      t.onAck(a);
      waiter?.();
    });
    this.control.setKnobs(slot, t.knobs);
    this.control.setFlag(slot, 'stop', t.stop.aborted);
    this.control.setFlag(slot, 'abort', false);
    const syncKnobs = setInterval(() => this.control.setKnobs(slot, t.knobs), 50);
    const onStop = () => this.control.setFlag(slot, 'stop', true);
    const onAbort = () => this.control.setFlag(slot, 'abort', true);
    t.stop.addEventListener('abort', onStop);
    t.abort.addEventListener('abort', onAbort);
    const task: WorkerTask = {
      job: this.opts.job,
      partition: t.partition,
      stream: t.stream,
      slot,
      windows: this.opts.windows.map((w) => ({ startNs: w.startNs.toString(), endNs: w.endNs.toString() })),
      start: start
        ? {
            tsNs: start.tsNs.toString(),
            eventId: start.eventId,
            seq: start.seq.toString(),
            acked: start.acked.toString(),
          }
        : null,
      readBatchSize: this.opts.readBatchSize,
      acquire: t.beforeLaunch !== undefined,
      fold: this.opts.fold
        ? { paneNs: this.opts.fold.paneNs.toString(), metrics: [...this.opts.fold.metrics] }
        : null,
      portsSpec: this.opts.portsSpec,
      control: this.control.buffer,
      port: port2,
    };
    try {
      const result = (await this.pool.run(task, { transferList: [port2] as never })) as WorkerResult;
      // Acks travel on their own port: wait until every one the worker posted has arrived.
      while (received < result.acks) await new Promise<void>((r) => (waiter = r));
      return { kind: 'result', result };
    } catch (error) {
      return { kind: 'crash', error, events };
    } finally {
      clearInterval(syncKnobs);
      t.stop.removeEventListener('abort', onStop);
      t.abort.removeEventListener('abort', onAbort);
      if (inflight !== 0) t.onInflight(-inflight);
      port1.close();
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
