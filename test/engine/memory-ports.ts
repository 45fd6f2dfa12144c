/**
 * In-memory test doubles for the engine's ports (named as such): an array-backed Source and a
 * Sink with scripted latency and failures. Integration tests use the real Postgres source and the
 * real emulator; these exist to drive the runner's ordering logic into corners quickly.
 */
import type { BatchAck, Sink, SinkBatch } from '../../src/sinks/sink.js';
import type {
  EventBatch,
  PartitionInfo,
  Source,
  SourceEvent,
  SourcePosition,
  TimeWindow,
} from '../../src/sources/source.js';

export function makeEvents(partition: number, n: number, startNs = 1_000_000_000n): SourceEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    tsNs: startNs + BigInt(Math.floor(i / 3)) * 1000n, // runs of equal timestamps
    eventId: `p${partition}-${String(i).padStart(6, '0')}`,
    key: Buffer.from(`k${partition}`),
    payload: Buffer.from(`{"i":${i}}`),
    schemaKey: 'test:1',
  }));
}

export class MemorySource implements Source {
  constructor(private readonly data: Map<number, SourceEvent[]>) {}
  async partitions(window: TimeWindow): Promise<PartitionInfo[]> {
    return [...this.data.entries()].map(([partition, evs]) => {
      const inW = evs.filter((e) => e.tsNs >= window.startNs && e.tsNs < window.endNs);
      return {
        partition,
        rows: inW.length,
        exact: true,
        firstTsNs: inW[0]?.tsNs ?? null,
        lastTsNs: inW.at(-1)?.tsNs ?? null,
      };
    });
  }
  async *read(
    partition: number,
    from: SourcePosition | null,
    window: TimeWindow,
    opts: { batchSize: number; signal?: AbortSignal },
  ): AsyncIterable<EventBatch> {
    const evs = (this.data.get(partition) ?? []).filter(
      (e) =>
        e.tsNs >= window.startNs &&
        e.tsNs < window.endNs &&
        (!from || e.tsNs > from.tsNs || (e.tsNs === from.tsNs && e.eventId > from.eventId)),
    );
    for (let i = 0; i < evs.length; i += opts.batchSize) {
      if (opts.signal?.aborted) return;
      await new Promise((r) => setImmediate(r));
      yield { partition, events: evs.slice(i, i + opts.batchSize) };
    }
  }
  async close(): Promise<void> {}
}

export interface ScriptedSinkOptions {
  sequencing: boolean;
  /** Latency per send in ms (may be random to reorder completions). */
  latency: (b: SinkBatch) => number;
  /** Throw for this batch? */
  fail?: (b: SinkBatch) => Error | undefined;
}

export class ScriptedSink implements Sink {
  readonly sequencing: boolean;
  inflight = 0;
  maxInflight = 0;
  readonly sent: SinkBatch[] = [];
  constructor(private readonly opts: ScriptedSinkOptions) {
    this.sequencing = opts.sequencing;
  }
  async send(b: SinkBatch): Promise<BatchAck> {
    this.sent.push(b);
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    try {
      await new Promise((r) => setTimeout(r, this.opts.latency(b)));
      const err = this.opts.fail?.(b);
      if (err) throw err;
      return { accepted: b.events.length, duplicates: 0, rejected: [], retries: {}, resent: 0 };
    } finally {
      this.inflight--;
    }
  }
  async close(): Promise<void> {}
}
