/**
 * A piscina task: streams one partition inside a worker thread (read → encode → send). Everything
 * it exchanges with the main thread goes over its MessagePort (protocol.ts): before each batch it
 * asks for a grant, which carries the knobs for its next slice; after each batch, in order, one
 * ack; stop and abort arrive as messages. Sources and sinks are built by the factories module
 * named in the task and cached per thread, so a thread's tasks share one Postgres pool and one
 * HTTP pool.
 */

import { threadId } from 'node:worker_threads';
import { ErrorCode } from '../../common/errors.js';
import type { Sink, SinkAttempt } from '../../sinks/sink.js';
import type { Source } from '../../sources/source.js';
import { runPartition } from '../partition-runner.js';
import type { PartitionKnobs } from '../types.js';
import {
  type AcquireMessage,
  type DeadLettersMessage,
  encodeAck,
  encodeDeadLetter,
  fromWireError,
  type MainMessage,
  toWireError,
  unknownMessage,
  type WorkerResult,
  type WorkerTask,
} from './protocol.js';

export interface WorkerPorts {
  source: Source;
  sink: Sink;
  /** This thread's metrics (its sink's), snapshotted for the main thread's `/metrics`. */
  metrics?(): Promise<unknown>;
}
export interface WorkerHooks {
  /** Per-attempt reports of this thread's sink; routed to the partition's task port. */
  onAttempt(a: SinkAttempt): void;
}
export type WorkerPortsFactory = (spec: unknown, hooks: WorkerHooks) => Promise<WorkerPorts>;

/**
 * Task ports of this thread by partition, for routing sink attempts (the sink is shared; a
 * partition runs in one task at a time).
 */
const taskPorts = new Map<number, WorkerTask['port']>();
const hooks: WorkerHooks = {
  onAttempt(a) {
    taskPorts.get(a.partition)?.postMessage({ t: 'attempt', a });
  },
};

/**
 * The worker entry (a module whose default export is this task) is supplied by the caller with its
 * factories imported statically: the engine never imports a driver, and no module is loaded by a
 * dynamic URL (which a TypeScript loader may not see inside worker threads).
 */
export function makePartitionTask(factory: WorkerPortsFactory): (task: WorkerTask) => Promise<WorkerResult> {
  const cache = new Map<string, Promise<WorkerPorts>>();
  const portsFor = (spec: unknown): Promise<WorkerPorts> => {
    const key = JSON.stringify(spec);
    let p = cache.get(key);
    if (!p) {
      p = factory(spec, hooks);
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  };
  return (task) => runPartitionTask(task, portsFor);
}

async function runPartitionTask(
  task: WorkerTask,
  portsFor: (spec: unknown) => Promise<WorkerPorts>,
): Promise<WorkerResult> {
  const { port } = task;
  const post = (m: AcquireMessage | DeadLettersMessage) => port.postMessage(m);
  const stop = new AbortController();
  const abort = new AbortController();
  let protocolError: Error | undefined;
  // The knobs of the latest grant: the runner reads them before each slice.
  const knobs: PartitionKnobs = { batchSize: task.knobs.batchSize, maxInFlight: task.knobs.maxInFlight };
  // Launch requests waiting for their grant, and dead-letter writes waiting for their reply.
  const grants = new Map<number, (k: PartitionKnobs) => void>();
  let nextGrant = 0;
  const letters = new Map<number, { resolve(): void; reject(e: unknown): void }>();
  let nextLetters = 0;
  let acks = 0;
  let taskMetrics: (() => Promise<unknown>) | undefined;
  port.on('message', (m: MainMessage) => {
    switch (m.t) {
      case 'granted': {
        const g = grants.get(m.id);
        grants.delete(m.id);
        g?.(m.knobs);
        return;
      }
      case 'dead-letters-done': {
        const w = letters.get(m.id);
        letters.delete(m.id);
        if (m.error) w?.reject(fromWireError(m.error));
        else w?.resolve();
        return;
      }
      case 'stop':
        stop.abort();
        return;
      case 'abort': // a hard stop reads nothing more either
        abort.abort();
        stop.abort();
        return;
      default:
        protocolError ??= unknownMessage('worker', m);
        abort.abort();
        stop.abort();
    }
  });
  taskPorts.set(task.partition, port);
  try {
    const { source, sink, metrics } = await portsFor(task.portsSpec);
    startMetricsTimer(metrics);
    taskMetrics = metrics;
    const res = await runPartition({
      job: task.job,
      partition: task.partition,
      stream: task.stream,
      source,
      sink,
      windows: task.windows.map((w) => ({ startNs: BigInt(w.startNs), endNs: BigInt(w.endNs) })),
      start: task.start
        ? {
            partition: task.partition,
            tsNs: BigInt(task.start.tsNs),
            eventId: task.start.eventId,
            seq: BigInt(task.start.seq),
            acked: BigInt(task.start.acked),
            done: false,
            ...(task.start.resume === undefined ? {} : { resume: task.start.resume }),
          }
        : null,
      knobs,
      readBatchSize: task.readBatchSize,
      ...(task.fold ? { fold: { paneNs: BigInt(task.fold.paneNs), metrics: task.fold.metrics } } : {}),
      stop: stop.signal,
      abort: abort.signal,
      onAck: (a) => {
        port.postMessage(encodeAck(a));
        acks++;
      },
      onDeadLetters: (records) =>
        new Promise<void>((resolve, reject) => {
          const id = nextLetters++;
          letters.set(id, { resolve, reject });
          post({ t: 'dead-letters', id, records: records.map(encodeDeadLetter) });
        }),
      // Every batch asks first (the main thread paces it and counts it in flight from the grant).
      // The runner re-checks `stop` after this resolves and launches nothing once stopped, which
      // is what lets the main thread stop counting grants once it has sent `stop`.
      beforeLaunch: (events, inflight) =>
        new Promise<void>((resolve) => {
          if (stop.signal.aborted) return resolve();
          const id = nextGrant++;
          // A graceful stop must not wait for a grant that may be pacing for seconds.
          const onStop = () => {
            grants.delete(id);
            resolve();
          };
          grants.set(id, (k) => {
            stop.signal.removeEventListener('abort', onStop);
            knobs.batchSize = k.batchSize;
            knobs.maxInFlight = k.maxInFlight;
            resolve();
          });
          stop.signal.addEventListener('abort', onStop, { once: true });
          post({ t: 'acquire', id, events, inflight });
        }),
    });
    if (protocolError) throw protocolError;
    return { outcome: res.outcome, events: res.events, acks };
  } catch (err) {
    return {
      outcome: 'failed',
      events: 0,
      acks,
      error: toWireError(protocolError ?? err, ErrorCode.PartitionFailed),
    };
  } finally {
    // A last snapshot before the port goes: what this task's requests added is not lost.
    if (taskMetrics) {
      const s = await taskMetrics().catch(() => undefined);
      if (s !== undefined) port.postMessage({ t: 'metrics', thread: threadId, snapshot: s });
    }
    if (taskPorts.get(task.partition) === port) taskPorts.delete(task.partition);
    port.close();
  }
}

/** How often a thread sends its metrics snapshot (and once more when a task ends). */
const METRICS_EVERY_MS = 1000;
let metricsTimer: NodeJS.Timeout | null = null;

/** Posts this thread's metrics over one of its live task ports (any will do: they all reach main). */
function postMetrics(snapshot: (() => Promise<unknown>) | undefined): void {
  if (!snapshot) return;
  snapshot().then(
    (s) => {
      const port = taskPorts.values().next().value as WorkerTask['port'] | undefined;
      port?.postMessage({ t: 'metrics', thread: threadId, snapshot: s });
    },
    () => undefined,
  );
}

function startMetricsTimer(snapshot: (() => Promise<unknown>) | undefined): void {
  if (!snapshot || metricsTimer) return;
  metricsTimer = setInterval(() => postMetrics(snapshot), METRICS_EVERY_MS);
  metricsTimer.unref();
}
