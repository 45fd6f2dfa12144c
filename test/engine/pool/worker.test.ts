/**
 * A partition task and the main thread's end of its port, both in this thread (the task function
 * is what piscina runs; no worker is started): the runner slices by the knobs of its latest grant,
 * stop reaches it while it waits for a grant, dead letters are stored before it reads on, and a
 * message outside the protocol fails the task.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/common/errors.js';
import type { DeadLetterRecord } from '../../../src/engine/cursor.js';
import type { PartitionTask } from '../../../src/engine/executor.js';
import type { AckedBatch } from '../../../src/engine/partition-runner.js';
import type { MainMessage, WorkerMessage, WorkerTask } from '../../../src/engine/pool/protocol.js';
import { TaskChannel } from '../../../src/engine/pool/task-channel.js';
import { makePartitionTask } from '../../../src/engine/pool/worker.js';
import type { SourceEvent } from '../../../src/sources/source.js';
import { MemorySource, makeEvents, ScriptedSink } from '../memory-ports.js';

const P = 3;
const WINDOW = { startNs: 0n, endNs: 4n * 10n ** 18n };

function workerTask(t: Pick<PartitionTask, 'knobs'>, port: WorkerTask['port']): WorkerTask {
  return {
    job: 'j',
    partition: P,
    stream: 'j/3/1',
    windows: [{ startNs: WINDOW.startNs.toString(), endNs: WINDOW.endNs.toString() }],
    start: null,
    knobs: { batchSize: t.knobs.batchSize, maxInFlight: t.knobs.maxInFlight },
    readBatchSize: 1000,
    fold: null,
    portsSpec: { test: true },
    port,
  };
}

function harness(events: SourceEvent[], over: Partial<PartitionTask> = {}) {
  const sink = new ScriptedSink({ sequencing: true, latency: () => 0 });
  const run = makePartitionTask(async () => ({ source: new MemorySource(new Map([[P, events]])), sink }));
  const deltas: number[] = [];
  const acks: AckedBatch[] = [];
  const stop = new AbortController();
  const task: PartitionTask = {
    partition: P,
    stream: 'j/3/1',
    start: null,
    knobs: { batchSize: 10, maxInFlight: 2 },
    stop: stop.signal,
    abort: new AbortController().signal,
    onAck: (a) => acks.push(a),
    onInflight: (d) => deltas.push(d),
    ...over,
  };
  const channel = new TaskChannel(task);
  const result = (async () => {
    const r = await run(workerTask(task, channel.workerPort));
    await channel.drained(r.acks);
    channel.close();
    return r;
  })();
  return { sink, result, deltas, acks, stop, task, channel };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('partition task (worker side)', () => {
  it('slices by the knobs of its latest grant, one ack per batch', async () => {
    const knobs = { batchSize: 10, maxInFlight: 2 };
    let asked = 0;
    const h = harness(makeEvents(P, 30), {
      knobs,
      beforeLaunch: async () => {
        if (++asked === 1) knobs.batchSize = 5; // goes with the first grant: the next slice is 5
      },
    });
    const r = await h.result;
    expect(r).toMatchObject({ outcome: 'done', events: 30, acks: 5 });
    expect(h.sink.sent.map((b) => b.events.length)).toEqual([10, 5, 5, 5, 5]);
    expect(h.acks.map((a) => a.events)).toEqual([10, 5, 5, 5, 5]);
    expect(h.deltas.filter((d) => d > 0)).toHaveLength(5);
    expect(sum(h.deltas)).toBe(0);
  });

  it('reacts to stop while it waits for a grant, and launches nothing more', async () => {
    let asked!: () => void;
    const waiting = new Promise<void>((r) => (asked = r));
    const h = harness(makeEvents(P, 30), {
      beforeLaunch: () => {
        asked();
        return new Promise<void>(() => {}); // a pace that would hold it for ever
      },
    });
    await waiting;
    h.stop.abort();
    const r = await h.result;
    expect(r).toMatchObject({ outcome: 'interrupted', events: 0, acks: 0 });
    expect(h.sink.sent).toEqual([]);
    expect(h.deltas).toEqual([]);
  });

  it('has its dead letters stored, as Buffers, before it reads on', async () => {
    const events = makeEvents(P, 12);
    const future = BigInt(Date.now() + 86_400_000) * 1_000_000n;
    events.push({ ...events[11]!, tsNs: future, eventId: 'p3-future' });
    const stored: DeadLetterRecord[] = [];
    const h = harness(events, {
      onDeadLetters: async (records) => {
        stored.push(...records);
      },
    });
    const r = await h.result;
    expect(r).toMatchObject({ outcome: 'done', events: 12 });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ eventId: 'p3-future', reason: 'FUTURE_SKEW', tsNs: future });
    expect(Buffer.isBuffer(stored[0]!.payload)).toBe(true);
    expect(stored[0]!.payload!.equals(events[12]!.payload)).toBe(true);
  });

  it('fails the task on an unknown message from the main thread', async () => {
    const sink = new ScriptedSink({ sequencing: true, latency: () => 0 });
    const run = makePartitionTask(async () => ({
      source: new MemorySource(new Map([[P, makeEvents(P, 30)]])),
      sink,
    }));
    const { port1: main, port2 } = new MessageChannel();
    main.on('message', (m: WorkerMessage) => {
      if (m.t === 'acquire') main.postMessage({ t: 'knobs', batchSize: 1 } as unknown as MainMessage);
    });
    const r = await run(workerTask({ knobs: { batchSize: 10, maxInFlight: 2 } }, port2));
    main.close();
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatchObject({ code: ErrorCode.WorkerProtocol, canRetry: false });
    expect(r.error!.message).toMatch(/"knobs"/);
    expect(sink.sent).toEqual([]);
  });
});
