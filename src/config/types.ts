/** The resolved job configuration: every default filled, times and durations exact, frozen. */
import type { TimeWindow } from '../sources/source.js';
import type { JobFileInput } from './schema.js';

export type SchemaKeyColumn = string | { value: string };

export interface PostgresSourceConfig {
  type: 'postgres';
  url: string;
  table: string;
  columns: {
    partition: string;
    event_time: string;
    event_id: string;
    key: string;
    payload: string;
    /** A column name, or a constant schema key for every row. */
    schema_key: SchemaKeyColumn;
  };
  eventTimeUnit?: 's' | 'ms' | 'us' | 'ns';
  partitions: 'all' | readonly number[];
  readMethod: 'copy' | 'cursor';
  fetchRows: number;
}

/**
 * A Kafka source: the options of `src/sources/kafka` in the job file's spelling, durations
 * resolved; CEPtra's N comes from target.partitions and onDisorder from guardrails.
 */
export type KafkaSourceConfig = Omit<
  import('../sources/kafka/options.js').KafkaSourceOptions,
  'ceptraPartitions' | 'onDisorder' | 'brokers' | 'topics'
> & {
  type: 'kafka';
  brokers: readonly string[];
  topics: readonly string[];
  /** CEPtra partitions to replay: all (0..target.partitions-1) or a list. */
  partitions: 'all' | readonly number[];
};

export type SourceConfig = PostgresSourceConfig | KafkaSourceConfig;

export interface TlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
  servername?: string;
}

export interface TargetConfig {
  url: string;
  mode: 'batch' | 'single';
  partitions: number;
  connections: number;
  pipelining: number;
  timeoutMs: number;
  /** Client-side retry budget for an unreachable/refusing target before the partition pauses. */
  outageDeadlineMs: number;
  format: 'ndjson' | 'json';
  tls?: TlsConfig;
}

export interface FlowConfig {
  mode: 'adaptive' | 'static';
  targetApplyLagMs: number;
  lagPollIntervalMs: number;
  minBatch: number;
  maxBatch: number;
  startBatch?: number;
  startInFlight?: number;
  startRate: number;
  increaseStep: number;
  decreaseFactor: number;
  lowWatermark: number;
  maxRate: number;
  maxBurst: number;
  replicationLagLimitMs: number;
  rttInflation: number;
  batchSize: number;
  maxInFlight: number;
  parallelPartitions: number;
  commitIntervalMs: number;
  commitEveryBatches: number;
  maxUncommittedEvents: number;
}

export type StateConfig = { url: string } | { file: string };

export interface GuardrailsConfig {
  maxWindowNs: bigint;
  safetyLagNs: bigint;
  paneSizeNs: bigint;
  align: 'round' | 'fail';
  allowSort: boolean;
  routing: 'fail' | 'send';
  /** Events/s assumed for plan ETAs. */
  rate: number;
  /** A poison event (bad source row, failed client check, permanent rejection): dead-letter it and go on, or fail the job. */
  onPoison: 'dead-letter' | 'fail';
  /** With `dead-letter`: the job fails once it holds more dead letters than this. */
  maxDeadLetters: number;
  /** Kafka: a record more than source.maxDisorder behind its topic-partition's newest time. */
  onDisorder: 'dead-letter' | 'send';
}

export interface VerifyConfig {
  enabled: boolean;
  paneNs: bigint;
  metrics: readonly import('../monoid/index.js').MetricDef[];
}

export interface JobConfig {
  job: string;
  /** Sorted, non-overlapping, pane-aligned half-open windows (one entry for `window:`). */
  windows: readonly TimeWindow[];
  source: SourceConfig;
  target: TargetConfig;
  /** Worker threads streaming partitions; 0 = inline on the main thread. */
  workers: number;
  flow: FlowConfig;
  state: StateConfig;
  guardrails: GuardrailsConfig;
  verify: VerifyConfig;
  /** Non-fatal adjustments (e.g. window rounded to panes), for the operator to read. */
  warnings: readonly string[];
  /** Where the config came from (file path or a label). */
  sourceName: string;
}

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * CLI overrides, in the file's shape (e.g. `{ window: {start, end}, flow: { batchSize: 500 } }`).
 * Objects merge key by key, arrays and scalars replace; `window` replaces a file's `windows` and
 * vice versa. Values are used as given (no `${VAR}` expansion).
 */
export type JobConfigOverrides = DeepPartial<JobFileInput>;

export interface ParseJobConfigOptions {
  /** Current time in ns, for the safety-lag check (tests inject it). Default: the wall clock. */
  nowNs?: bigint;
}
