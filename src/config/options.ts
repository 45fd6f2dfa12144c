/**
 * Defaults of every optional job-config key. The zod schema (`schema.ts`) attaches them, so the
 * JSON schema and `config/README.md` show the same values the loader fills in. A value that a
 * component also needs on its own (the flow controller, the ingest client, the Postgres source)
 * is defined once, in that component's options, and taken from there.
 */
import { defaultFlowControllerOptions as flow } from '../engine/flow/options.js';
import { defaultCeptraClientOptions as client } from '../sinks/ceptra/options.js';
import { defaultPostgresSourceOptions as pgSource } from '../sources/postgres/options.js';

export const defaultColumns = {
  partition: 'part_id',
  event_time: 'event_time',
  event_id: 'event_id',
  key: 'key',
  payload: 'payload',
  schema_key: 'schema_key',
} as const;

export const defaultSourceOptions = {
  table: 'events',
  partitions: 'all',
  readMethod: pgSource.readMethod,
  fetchRows: pgSource.fetchRows,
} as const;

export const defaultTargetOptions = {
  mode: client.mode,
  connections: client.connections,
  pipelining: client.pipelining,
  timeoutMs: client.headersTimeoutMs,
  /** A job gives up a request after this long (the client alone retries for ever). */
  outageDeadlineMs: 30_000,
  format: client.batchEncoding,
} as const;

export const defaultTlsOptions = { rejectUnauthorized: true } as const;

export const defaultFlowOptions = {
  mode: flow.mode,
  targetApplyLagMs: flow.targetApplyLagMs,
  lagPollIntervalMs: flow.lagPollIntervalMs,
  minBatch: flow.minBatch,
  maxBatch: flow.maxBatch,
  startRate: flow.startRate,
  increaseStep: flow.increaseStep,
  decreaseFactor: flow.decreaseFactor,
  lowWatermark: flow.lowWatermark,
  maxRate: flow.maxRate,
  maxBurst: flow.maxBurst,
  replicationLagLimitMs: flow.replicationLagLimitMs,
  rttInflation: flow.rttInflation,
  /** Static mode's batch size, and adaptive mode's first batch unless `startBatch` is set. */
  batchSize: flow.startBatch,
  maxInFlight: flow.maxInFlight,
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
  onDisorder: 'dead-letter',
} as const;

export const JOB_ID_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
export const IDENTIFIER_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*$/;
export const TABLE_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$/;
