/**
 * The main thread's end of one partition task's MessagePort (protocol.ts): answers each acquire,
 * after the task's `beforeLaunch`, with a grant carrying the partition's current knobs; forwards
 * stop and abort; stores dead letters before the worker reads on; routes sink attempts; delivers
 * acks in order and tracks the cursor they reach.
 *
 * In flight is derived here, not reported: a batch counts from its grant (the worker launches
 * every batch it is granted, unless it was stopped first — and no grant is counted after `stop`
 * is sent, messages being ordered) until its ack. Batches the task leaves counted when it ends —
 * failed or abandoned sends never ack, a dead worker acks nothing more — are subtracted by
 * `close()`, so `onInflight` always returns to where it started.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { ErrorCode, type ReplayError } from '../../common/errors.js';
import type { PartitionTask } from '../executor.js';
import {
  decodeAck,
  decodeDeadLetter,
  type MainMessage,
  toWireError,
  unknownMessage,
  type WorkerMessage,
} from './protocol.js';

export class TaskChannel {
  /** The worker's end: transfer it with the task. */
  readonly workerPort: MessagePort;
  private readonly port: MessagePort;
  /** Where the partition resumes: the task's start, then the cursor of every ack received. */
  cursor: PartitionTask['start'];
  /** Events acknowledged through this channel. */
  events = 0;
  /** Acks received (the worker's result says how many it posted). */
  acks = 0;
  /** Set when the worker sent something this protocol does not know; the task must fail. */
  protocolError: ReplayError | undefined;
  private inflight = 0;
  /** No grant is counted (or sent) once the worker has been told to stop. */
  private stopped = false;
  private closed = false;
  private waiter: (() => void) | null = null;
  private readonly onStop = () => this.stop('stop');
  private readonly onAbort = () => this.stop('abort');

  constructor(
    private readonly t: PartitionTask,
    private readonly onWorkerMetrics?: (thread: number, snapshot: unknown) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.workerPort = port2;
    this.cursor = t.start;
    port1.on('message', (m: WorkerMessage) => this.onMessage(m));
    if (t.abort.aborted) this.onAbort();
    else if (t.stop.aborted) this.onStop();
    t.stop.addEventListener('abort', this.onStop);
    t.abort.addEventListener('abort', this.onAbort);
  }

  /** Batches granted and not yet acknowledged. */
  get inFlight(): number {
    return this.inflight;
  }

  /** Resolves once `posted` acks have arrived (acks travel on this port, the result does not). */
  async drained(posted: number): Promise<void> {
    while (this.acks < posted && !this.protocolError && !this.closed) {
      await new Promise<void>((r) => (this.waiter = r));
    }
  }

  /** The task is over (result or dead worker): settle what it left in flight, stop listening. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.t.stop.removeEventListener('abort', this.onStop);
    this.t.abort.removeEventListener('abort', this.onAbort);
    this.settle(this.inflight);
    this.port.close();
    this.wake();
  }

  private onMessage(m: WorkerMessage): void {
    if (this.closed) return;
    switch (m.t) {
      case 'acquire': {
        const grant = () => this.grant(m.id);
        if (this.t.beforeLaunch) this.t.beforeLaunch(m.events, m.inflight).then(grant, grant);
        else grant();
        return;
      }
      case 'ack': {
        const a = decodeAck(this.t.partition, m);
        this.acks++;
        this.events += a.events;
        this.cursor = { ...a.cursor, acked: (this.cursor?.acked ?? 0n) + BigInt(a.events), done: false };
        this.settle(1);
        this.t.onAck(a);
        this.wake();
        return;
      }
      case 'attempt':
        this.t.onAttempt?.(m.a);
        return;
      case 'metrics':
        this.onWorkerMetrics?.(m.thread, m.snapshot);
        return;
      case 'dead-letters': {
        const reply = (error?: unknown) =>
          this.post({
            t: 'dead-letters-done',
            id: m.id,
            ...(error === undefined ? {} : { error: toWireError(error, ErrorCode.StateWrite) }),
          });
        const write = this.t.onDeadLetters
          ? this.t.onDeadLetters(m.records.map(decodeDeadLetter))
          : Promise.reject(new Error('no dead-letter store'));
        write.then(() => reply(), reply);
        return;
      }
      default:
        // Never taken for an ack: the task fails, and the worker is told to drop everything.
        this.protocolError ??= unknownMessage('main', m);
        this.stop('abort');
        this.wake();
    }
  }

  private grant(id: number): void {
    if (this.closed || this.stopped) return; // the worker is no longer waiting for it
    this.inflight++;
    this.t.onInflight(1);
    // Read at grant time: the freshest knobs go with the batch that follows this one.
    const { batchSize, maxInFlight } = this.t.knobs;
    this.post({ t: 'granted', id, knobs: { batchSize, maxInFlight } });
  }

  private settle(n: number): void {
    const d = Math.min(n, this.inflight);
    if (d <= 0) return;
    this.inflight -= d;
    this.t.onInflight(-d);
  }

  private stop(kind: 'stop' | 'abort'): void {
    this.stopped = true;
    this.post({ t: kind });
  }

  private post(m: MainMessage): void {
    if (!this.closed) this.port.postMessage(m);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }
}
