/** Options of the chaos harness (`bench/chaos.ts`, `test/chaos/chaos.test.ts`). */

export interface ChaosOptions {
  /** Interruptions (SIGKILL + SIGTERM) before the final run. */
  kills: number;
  /** Synthetic events to seed (ignored with `databaseUrl` + `seed: false`). */
  rows: number;
  /** Seeded JSON payload size: larger rows keep a paused COPY reader open longer (a target for pg_terminate_backend). */
  payloadBytes: number;
  /** CEPtra partitions = LIST partitions of the events table. */
  partitions: number;
  /** Server to create our own database on (`DATABASE_URL` or the local service). */
  adminUrl: string;
  /** Use this (empty) database instead of creating one (tests pass `createTestDatabase().url`). */
  databaseUrl: string | null;
  /** Emulator apply rate per partition during the chaos runs (events/s); 0 = sized from rows and kills. */
  applyRate: number;
  /** Apply rate for the final run, so the rest of the job does not take minutes. */
  finalApplyRate: number;
  /** Emulator commit→apply ring per partition (small, so acks follow the apply rate). */
  ring: number;
  batchSize: number;
  maxInFlight: number;
  parallelPartitions: number;
  commitIntervalMs: number;
  /** Kill moment, measured from process start: uniform (or log-uniform, 1 in 3) in [min, max]. */
  minDelayMs: number;
  maxDelayMs: number;
  /**
   * Share of kills timed from the run's first ingest activity instead of its process start (the
   * CLI takes seconds to start on a loaded 2-core machine; kills must land mid-stream too).
   */
  activityAnchorShare: number;
  /** Share of interruptions that are SIGTERM (graceful: expect exit 3) instead of SIGKILL. */
  sigtermShare: number;
  /** Downstream faults through `POST /sim/faults` (one scenario per run). */
  downstreamFaults: boolean;
  /** Runs that get `pg_terminate_backend` on the reader (COPY) connections. */
  terminateRounds: number;
  /** PostgreSQL restarts (`pg_ctlcluster … restart`), only where allowed (root, local service, not CI). */
  pgRestarts: number;
  /** Seed of the harness RNG (kill delays, scenario picks, fault RNG seeds). */
  seed: number;
  /**
   * How long a SIGTERMed run may drain before it is SIGKILLed (and counted as a failure); 0 =
   * twice the worst drain at the chaos apply rate (maxInFlight × batchSize events per partition
   * through the emulator's apply rate), at least 10 s.
   */
  termGraceMs: number;
  /** Upper bound of a single chaos run (a run that hangs is SIGKILLed and counted). */
  runTimeoutMs: number;
  /** Upper bound of the final run. */
  finalTimeoutMs: number;
  /** Progress lines (one per run). */
  log: (line: string) => void;
}

export const defaultChaosOptions = {
  kills: 10,
  rows: 20_000,
  payloadBytes: 600,
  partitions: 16,
  adminUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  databaseUrl: null,
  applyRate: 0,
  finalApplyRate: 20_000,
  ring: 500,
  batchSize: 200,
  maxInFlight: 4,
  parallelPartitions: 16,
  commitIntervalMs: 100,
  minDelayMs: 50,
  maxDelayMs: 3000,
  activityAnchorShare: 0.5,
  sigtermShare: 0.15,
  downstreamFaults: true,
  terminateRounds: 4,
  pgRestarts: 0,
  seed: 1,
  termGraceMs: 0,
  runTimeoutMs: 60_000,
  finalTimeoutMs: 300_000,
  log: () => undefined,
} as const satisfies ChaosOptions;

/**
 * Apply rate that makes the job outlast the chaos runs: about a second of streaming per run
 * (kills land 50 ms–3 s after process start or after the first send; the CLI itself needs 2-5 s
 * to start on a loaded 2-core machine). A job that still finishes early starts over.
 */
export function autoApplyRate(o: Pick<ChaosOptions, 'rows' | 'partitions' | 'kills'>): number {
  const perPartition = o.rows / o.partitions;
  return Math.max(20, Math.round(perPartition / Math.max(5, o.kills)));
}

export function resolveChaosOptions(partial: Partial<ChaosOptions> = {}): ChaosOptions {
  const o: ChaosOptions = { ...defaultChaosOptions, ...partial };
  const positive = (k: keyof ChaosOptions, min = 1) => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min)
      throw new RangeError(`chaos option ${k} must be a number ≥ ${min} (got ${String(v)})`);
  };
  for (const k of [
    'rows',
    'payloadBytes',
    'partitions',
    'ring',
    'batchSize',
    'maxInFlight',
    'parallelPartitions',
  ] as const)
    positive(k);
  for (const k of [
    'kills',
    'terminateRounds',
    'pgRestarts',
    'applyRate',
    'minDelayMs',
    'termGraceMs',
  ] as const)
    positive(k, 0);
  if (o.maxDelayMs < o.minDelayMs)
    throw new RangeError(
      `chaos option maxDelayMs must be ≥ minDelayMs (got ${o.maxDelayMs} < ${o.minDelayMs})`,
    );
  for (const k of ['sigtermShare', 'activityAnchorShare'] as const) {
    if (!(o[k] >= 0 && o[k] <= 1)) throw new RangeError(`chaos option ${k} must be in [0, 1] (got ${o[k]})`);
  }
  if (o.applyRate === 0) o.applyRate = autoApplyRate(o);
  if (!(o.termGraceMs >= 0))
    throw new RangeError(`chaos option termGraceMs must be ≥ 0 (got ${o.termGraceMs})`);
  if (o.termGraceMs === 0)
    o.termGraceMs = Math.max(10_000, Math.ceil((2000 * o.maxInFlight * o.batchSize) / o.applyRate));
  return o;
}
