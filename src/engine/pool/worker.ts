/**
 * A piscina task: streams one partition inside a worker thread (read → encode → send), posting
 * acks over its MessagePort and reading its knobs and stop flags from shared memory. Sources and
 * sinks are built by the factories module named in the task and cached per thread, so a thread's
 * tasks share one Postgres pool and one HTTP pool.
 */

import { ReplayError } from '../../common/errors.js';
import type { Sink, SinkAttempt } from '../../sinks/sink.js';
import type { Source } from '../../sources/source.js';
import { runPartition } from '../partition-runner.js';
import { ControlBlock } from './control.js';
import { encodeAck, type MainMessage, toWireError, type WorkerResult, type WorkerTask } from './protocol.js';

export interface WorkerPorts {
  source: Source;
  sink: Sink;
}
export interface WorkerHooks {
  /** Per-attempt reports of this thread's sink; routed to the partition's task port. */
  onAttempt(a: SinkAttempt): void;
}
export type WorkerPortsFactory = (spec: unknown, hooks: WorkerHooks) => Promise<WorkerPorts>;

/** Task ports of this thread by replay stream, for routing sink attempts (the sink is shared). */
const taskPorts = new Map<string, WorkerTask['port']>();
const hooks: WorkerHooks = {
  onAttempt(a) {
    if (a.lane === undefined) return;
    taskPorts.get(a.lane)?.postMessage({ t: 'attempt', a });
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
  const control = new ControlBlock(task.control);
  const stop = new AbortController();
  const abort = new AbortController();
  // Flags are polled (cheap: two atomic loads); knobs are read by the runner before every batch.
  const poll = setInterval(() => {
    if (control.flag(task.slot, 'stop')) stop.abort();
    if (control.flag(task.slot, 'abort')) abort.abort();
  }, 10);
  let acks = 0;
  taskPorts.set(task.stream, task.port);
  // Grants for launch requests (flow control), answered by the main thread in order.
  const grants = new Map<number, () => void>();
  let nextGrant = 0;
  const letters = new Map<number, { resolve(): void; reject(e: unknown): void }>();
  let nextLetters = 0;
  task.port.on('message', (m: MainMessage) => {
    if (m.t === 'granted') {
      grants.get(m.id)?.();
      grants.delete(m.id);
    } else if (m.t === 'dead-letters-done') {
      const w = letters.get(m.id);
      letters.delete(m.id);
      if (m.error)
        w?.reject(
          new ReplayError(m.error.code, m.error.message, {
            canRetry: m.error.canRetry,
            ...(m.error.details ? { details: m.error.details } : {}),
          }),
        );
      else w?.resolve();
    }
  });
  const crashAfter = control.crashAfterAcks(task.slot);
  try {
    const { source, sink } = await portsFor(task.portsSpec);
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
          }
        : null,
      knobs: control.knobs(task.slot),
      readBatchSize: task.readBatchSize,
      ...(task.fold ? { fold: { paneNs: BigInt(task.fold.paneNs), metrics: task.fold.metrics } } : {}),
      stop: stop.signal,
      abort: abort.signal,
      onAck: (a) => {
        task.port.postMessage(encodeAck(a));
        acks++;
        if (crashAfter > 0 && acks >= crashAfter) {
          control.setCrashAfterAcks(task.slot, 0);
          process.exit(86); // test hook: in a worker thread this ends the thread, not the process
        }
      },
      onInflight: (d) => task.port.postMessage({ t: 'inflight', d }),
      onDeadLetters: (records) =>
        new Promise<void>((resolve, reject) => {
          const id = nextLetters++;
          letters.set(id, { resolve, reject });
          task.port.postMessage({ t: 'dead-letters', id, records: [...records] });
        }),
      ...(task.acquire
        ? {
            beforeLaunch: (events: number, inflight: number) =>
              new Promise<void>((resolve) => {
                const id = nextGrant++;
                // A graceful stop must not wait for a grant that may be pacing for seconds.
                const onStop = () => {
                  grants.delete(id);
                  resolve();
                };
                grants.set(id, () => {
                  stop.signal.removeEventListener('abort', onStop);
                  resolve();
                });
                stop.signal.addEventListener('abort', onStop, { once: true });
                task.port.postMessage({ t: 'acquire', id, events, inflight });
              }),
          }
        : {}),
    });
    return { outcome: res.outcome, events: res.events, acks };
  } catch (err) {
    return { outcome: 'failed', events: 0, acks, error: toWireError(err, 'PARTITION_FAILED') };
  } finally {
    clearInterval(poll);
    if (taskPorts.get(task.stream) === task.port) taskPorts.delete(task.stream);
    task.port.close();
  }
}
