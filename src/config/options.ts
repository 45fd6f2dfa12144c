/**
 * Defaults of every optional job-config key. The zod schema (`schema.ts`) attaches them, so the
 * JSON schema and `config/README.md` show the same values the loader fills in.
 */
export const defaultColumns = {
  partition: 'part_id',
  event_time: 'event_time',
  event_id: 'event_id',
  key: 'key',
  payload: 'payload',
  schema_key: 'schema_key',
} as const;

export const defaultPostgresSourceOptions = {
  table: 'events',
  partitions: 'all',
  readMethod: 'copy',
  fetchRows: 10_000,
} as const;

export const defaultTargetOptions = {
  mode: 'batch',
  connections: 8,
  pipelining: 1,
  timeoutMs: 30_000,
  outageDeadlineMs: 30_000,
  format: 'ndjson',
} as const;

export const defaultTlsOptions = { rejectUnauthorized: true } as const;

export const defaultFlowOptions = {
  mode: 'adaptive',
  targetApplyLagMs: 200,
  lagPollIntervalMs: 250,
  minBatch: 50,
  maxBatch: 5000,
  startRate: 1000,
  increaseStep: 250,
  decreaseFactor: 0.5,
  lowWatermark: 0.5,
  maxRate: 0,
  maxBurst: 0,
  replicationLagLimitMs: 250,
  rttInflation: 2,
  batchSize: 1000,
  maxInFlight: 4,
  parallelPartitions: 16,
  commitIntervalMs: 200,
  commitEveryBatches: 16,
  maxUncommittedEvents: 500_000,
} as const;

export const defaultStateOptions = { file: './replay-state.json' } as const;

export const defaultGuardrailOptions = {
  maxWindow: '30d',
  safetyLag: '0s',
  paneSize: '250ms',
  align: 'round',
  allowSort: false,
  routing: 'fail',
  rate: 50_000,
  onPoison: 'dead-letter',
  maxDeadLetters: 1000,
} as const;

export const JOB_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*$/;
export const TABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;
