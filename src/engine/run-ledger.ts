/**
 * What a run has done so far, in one place: per-partition progress, totals, retries and
 * refusals by reason, the source-side fold, and the metrics that mirror them. The job runner
 * feeds it; progress displays and the summary read it.
 */
import type { Logger } from '../common/logger.js';
import type { Cursor, DeadLetterRecord } from './cursor.js';
import type { ReplayMetrics } from './metrics.js';
import type { AckedBatch } from './partition-runner.js';
import { type JobOutcome, PartitionState } from './types.js';
import { type FoldSpec, PaneAccumulator } from './verify/fold.js';

export interface PartitionProgress {
  partition: number;
  state: PartitionState;
  acked: number;
  planned: number;
  cursorTsNs: bigint | null;
}

/** A consistent snapshot for progress displays. */
export interface RunSnapshot {
  events: number;
  bytes: number;
  elapsedMs: number;
  inflight: number;
  partitions: PartitionProgress[];
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

export class RunLedger {
  readonly progress = new Map<number, PartitionProgress>();
  /** Source-side fold of everything acknowledged in this run, in contiguous order per partition. */
  readonly panes: PaneAccumulator | null;
  /** Partitions whose fold covers their whole window (they started from the beginning in this run). */
  readonly foldedFromStart = new Set<number>();
  private readonly totals = { events: 0, bytes: 0, batches: 0, resent: 0, duplicates: 0 };
  private readonly retries: Record<string, number> = {};
  private readonly rejected: Record<string, number> = {};
  private inflight = 0;
  private startedAt = 0;

  constructor(
    private readonly job: string,
    private readonly windowEndNs: bigint,
    fold: FoldSpec | undefined,
    private readonly logger: Logger,
    private readonly metrics?: ReplayMetrics,
  ) {
    this.panes = fold ? new PaneAccumulator(fold) : null;
  }

  /** The run starts: every partition from its cursor (done ones stay done). */
  begin(partitions: readonly number[], cursors: ReadonlyMap<number, Cursor>, planned?: Map<number, number>) {
    this.startedAt = Date.now();
    for (const p of partitions) {
      const c = cursors.get(p);
      if (!c) this.foldedFromStart.add(p);
      this.progress.set(p, {
        partition: p,
        state: c?.done ? PartitionState.Done : PartitionState.Pending,
        acked: c ? Number(c.acked) : 0,
        planned: (planned?.get(p) ?? 0) + (c ? Number(c.acked) : 0),
        cursorTsNs: c?.tsNs ?? null,
      });
    }
  }

  of(partition: number): PartitionProgress {
    return this.progress.get(partition)!;
  }

  setState(partition: number, state: PartitionState): void {
    this.of(partition).state = state;
  }

  retry(reason: string, n = 1): void {
    this.retries[reason] = (this.retries[reason] ?? 0) + n;
    this.metrics?.retries.inc({ job: this.job, reason }, n);
  }

  inflightDelta(d: number): void {
    this.inflight += d;
    this.metrics?.inflight.set({ job: this.job }, this.inflight);
  }

  /** An acknowledged batch (in batch order per partition): fold, progress, totals, metrics. */
  acked(a: AckedBatch): void {
    if (a.panes) this.panes?.add(a.panes);
    if (a.builtinPanes) this.panes?.addBuiltins(a.partition, a.builtinPanes);
    const pr = this.of(a.partition);
    pr.acked += a.events;
    pr.cursorTsNs = a.cursor.tsNs;
    const t = this.totals;
    t.events += a.events;
    t.bytes += a.bytes;
    t.batches++;
    t.resent += a.ack.resent;
    t.duplicates += a.ack.duplicates;
    for (const [reason, n] of Object.entries(a.ack.retries)) this.retry(reason, n);
    const m = this.metrics;
    if (!m) return;
    const job = this.job;
    m.events.inc({ job }, a.events);
    m.bytes.inc({ job }, a.bytes);
    m.batches.inc({ job });
    m.batchSize.observe({ job }, a.events);
    if (a.ack.resent) m.resent.inc({ job }, a.ack.resent);
    if (a.ack.duplicates) m.duplicates.inc({ job }, a.ack.duplicates);
    const label = { job, partition: String(a.partition) };
    m.cursorEventTime.set(label, Number(a.cursor.tsNs / 1000n) / 1e6);
    m.partitionLag.set(label, Math.max(0, Number((this.windowEndNs - a.cursor.tsNs) / 1_000_000n) / 1000));
  }

  /** A partition finished its window. */
  done(partition: number): void {
    this.setState(partition, PartitionState.Done);
    this.metrics?.partitionLag.set({ job: this.job, partition: String(partition) }, 0);
  }

  /** Dead letters about to be stored (poison rows, sure refusals, the target's refusals). */
  deadLettered(records: readonly DeadLetterRecord[], what: string): void {
    for (const r of records) {
      this.rejected[r.reason] = (this.rejected[r.reason] ?? 0) + 1;
      this.metrics?.rejected.inc({ job: this.job, reason: r.reason });
    }
    this.logger.warn(
      {
        partition: records[0]?.partition,
        events: records.slice(0, 5).map((r) => ({ eventId: r.eventId, reason: r.reason })),
      },
      what,
    );
  }

  snapshot(): RunSnapshot {
    return {
      events: this.totals.events,
      bytes: this.totals.bytes,
      elapsedMs: this.startedAt ? Date.now() - this.startedAt : 0,
      inflight: this.inflight,
      partitions: [...this.progress.values()].map((p) => ({ ...p })),
    };
  }

  summary(error: unknown, errorText: (e: unknown) => string): JobSummary {
    const partitions = [...this.progress.values()];
    const outcome: JobOutcome =
      error !== undefined
        ? 'failed'
        : partitions.every((p) => p.state === PartitionState.Done)
          ? 'done'
          : 'interrupted';
    const durationMs = Date.now() - this.startedAt;
    const t = this.totals;
    return {
      job: this.job,
      outcome,
      events: t.events,
      bytes: t.bytes,
      batches: t.batches,
      durationMs,
      eventsPerSec: durationMs > 0 ? Math.round((t.events * 1000) / durationMs) : 0,
      retries: { ...this.retries },
      resent: t.resent,
      duplicates: t.duplicates,
      rejected: { ...this.rejected },
      partitions: partitions.map((p) => ({ ...p })),
      ...(error !== undefined ? { error: errorText(error) } : {}),
    };
  }
}
