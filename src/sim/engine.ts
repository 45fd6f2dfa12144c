/**
 * The emulator's state: partitions, runtime config, faults, replay sequence streams, and the
 * drain timer that applies each partition's ring at its own apply rate.
 */
import type { Logger } from '../common/logger.js';
import { FlagTable } from './applied-log.js';
import { ConfigStore } from './config-store.js';
import { FaultState } from './faults.js';
import type { SimOptions } from './options.js';
import { PartitionState } from './partition.js';
import type { Knobs } from './types.js';
import type { RoutingCache } from './validate.js';
import { needsPayload, Projector } from './verify-metrics.js';

/** Refusals remembered per replay stream (the emulator's stand-in for the retry window). */
const REFUSALS_PER_STREAM = 100_000;

export class SimEngine implements RoutingCache {
  partitions: PartitionState[] = [];
  readonly config: ConfigStore;
  readonly faults: FaultState;
  /** Replay sequencing: last processed seq per `replay_stream` (global, like a producer id). */
  readonly seq = new Map<string, number>();
  /**
   * Permanent refusals per stream (seq → reason), so a re-sent refused seq is refused again with
   * the same reason instead of answered as a duplicate (contract §2). Bounded per stream like the
   * server's retry window: the oldest are forgotten first.
   */
  readonly refusals = new Map<string, Map<number, string>>();
  readonly flagTable = new FlagTable();
  readonly keyPartition = new Map<string, number>();
  /** Payload projection for field metrics at commit; null when no metric reads a field. */
  projector: Projector | null = null;
  liveGenerated = 0;
  liveRefused = 0;
  /** Ingest requests answered (after request-level faults), by route, and the events they carried. */
  requests = { batch: 0, single: 0, events: 0 };
  private timer: NodeJS.Timeout | null = null;
  private lastTick = 0;

  constructor(
    readonly opts: SimOptions,
    readonly log: Logger,
  ) {
    const initial: Knobs = {
      lateness_allowance_ms: opts.latenessMs,
      correction_horizon_ms: opts.correctionHorizonMs,
      pane_size_ms: opts.paneMs,
      dedup_capacity_per_partition: opts.dedupCapacity,
      apply_rate: opts.applyRate,
    };
    this.config = new ConfigStore(initial, opts.partitions, opts.verifyMetrics);
    this.faults = new FaultState(opts.faults);
    this.buildPartitions();
  }

  get partitionCount(): number {
    return this.opts.partitions;
  }

  get replaySequencing(): boolean {
    return this.opts.replaySequencing;
  }

  internFlags(flags: string[] | undefined): number {
    return this.flagTable.intern(flags);
  }

  private buildPartitions(): void {
    const metrics = this.config.current.verify_metrics;
    this.projector = needsPayload(metrics) ? new Projector(metrics) : null;
    this.partitions = [];
    for (let p = 0; p < this.opts.partitions; p++) {
      const st = new PartitionState(
        p,
        this.opts.ring,
        this.config.effective(p),
        this.opts.idleGraceMs,
        this.opts.keepAppliedLog,
        metrics,
      );
      this.partitions.push(st);
    }
  }

  /** Pushes the effective knobs of the current config version into every partition. */
  applyConfig(): void {
    const metrics = this.config.current.verify_metrics;
    this.projector = needsPayload(metrics) ? new Projector(metrics) : null;
    for (const p of this.partitions) {
      p.setKnobs(this.config.effective(p.id));
      p.fold.configure(p.knobs.pane_size_ms, metrics);
    }
  }

  /**
   * Bumped by every reset: a request still held by an injected latency when the emulator is reset
   * belongs to the old run and is abandoned instead of landing in the new one.
   */
  epoch = 0;

  /** POST /sim/reset: queues, dedup, seq streams, stats, panes, config and faults back to start. */
  reset(): void {
    this.epoch++;
    this.config.reset();
    this.faults.set(this.opts.faults);
    this.seq.clear();
    this.refusals.clear();
    this.keyPartition.clear();
    this.liveGenerated = 0;
    this.liveRefused = 0;
    this.requests = { batch: 0, single: 0, events: 0 };
    this.buildPartitions();
  }

  rememberRefusal(stream: string, seq: number, reason: string): void {
    let m = this.refusals.get(stream);
    if (!m) {
      m = new Map();
      this.refusals.set(stream, m);
    }
    m.set(seq, reason);
    if (m.size > REFUSALS_PER_STREAM) m.delete(m.keys().next().value!);
  }

  refusalOf(stream: string, seq: number): string | undefined {
    return this.refusals.get(stream)?.get(seq);
  }

  start(): void {
    this.lastTick = performance.now();
    this.timer = setInterval(() => this.tick(), this.opts.tickMs);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Simulated replication lag: the configured constant plus uniform jitter in [0, jitter]. */
  replicationLagMs(_partition: number): number {
    const j = this.opts.replicationJitterMs;
    return this.opts.replicationLagMs + (j > 0 ? Math.random() * j : 0);
  }

  /** Drains rate·elapsed events per partition, carrying the fraction; idle partitions bank nothing. */
  tick(): void {
    const now = performance.now();
    const elapsed = now - this.lastTick;
    this.lastTick = now;
    if (this.faults.stalled(now)) return;
    const wall = Date.now();
    for (const p of this.partitions) {
      if (p.depth === 0) {
        p.budget = 0;
        continue;
      }
      p.budget += (p.knobs.apply_rate * elapsed) / 1000;
      let n = Math.floor(p.budget);
      if (n >= p.depth) {
        n = p.depth;
        p.budget = 0;
      } else p.budget -= n;
      if (n > 0) p.drain(n, wall, this.faults);
    }
  }
}
