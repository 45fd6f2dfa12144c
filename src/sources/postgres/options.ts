import { ConfigError } from '../../common/errors.js';

export const EventTimeUnit = { s: 's', ms: 'ms', us: 'us', ns: 'ns' } as const;
export type EventTimeUnit = (typeof EventTimeUnit)[keyof typeof EventTimeUnit];

export interface PostgresColumns {
  partition: string;
  eventTime: string;
  eventId: string;
  key: string;
  payload: string;
  /** A column holding the schema key, or a constant for every row. */
  schemaKey: string | { value: string };
}

export interface PostgresSourceOptions {
  url: string;
  /** Table or view, schema-qualified allowed ("archive.events"); parsed by the server (`to_regclass`). */
  table: string;
  columns: PostgresColumns;
  /** Required iff event_time is an integer/numeric epoch column. */
  eventTimeUnit?: EventTimeUnit;
  partitions: 'all' | number[];
  /** N of CEPtra routing (FNV-1a-64(key) mod N), for the routing check. */
  ceptraPartitions: number;
  readMethod: 'copy' | 'cursor';
  /** Rows per fetch for the cursor method. */
  fetchRows: number;
  /** Accept a plan that sorts instead of walking an index (small tables). */
  allowSort: boolean;
  routingPolicy: 'fail' | 'send';
  poolSize?: number;
}

/**
 * readMethod 'copy', chosen from `bench/pg-read.ts` (bench/RESULTS.md, 2026-11-22 runs; 1M rows,
 * 16 partitions, ~200-byte jsonb, PG 15 on the same 2 shared cores at load 6-8). Node CPU per row,
 * the stable measure here: COPY reader 1.8-2.5 µs, cursor reader (raw text parsers) 2.3-3.1 µs,
 * naive pg-query-stream with pg's parsers 4.0-4.5 µs. Wall rows/s swing ±50 % with the neighbours:
 * COPY 129k-243k (1 stream) / 187k-336k (4 at once); cursor 110k-162k / 150k-258k; naive 61k-69k /
 * 66k-115k. COPY rows are sliced into Buffers straight from the network bytes; the cursor path
 * builds a JS string per field and re-encodes key and payload to bytes.
 */
export const defaultPostgresSourceOptions = {
  readMethod: 'copy',
  fetchRows: 10_000,
  allowSort: false,
  routingPolicy: 'fail',
  poolSize: 8,
} as const satisfies Partial<PostgresSourceOptions>;

type Defaulted = keyof typeof defaultPostgresSourceOptions;
/** What callers pass: every defaulted field may be omitted. */
export type PostgresSourceInput = Omit<PostgresSourceOptions, Defaulted> & Partial<PostgresSourceOptions>;

/** Config field names as the YAML spells them (used in ConfigError.field). */
export const columnField = {
  partition: 'source.columns.partition',
  eventTime: 'source.columns.event_time',
  eventId: 'source.columns.event_id',
  key: 'source.columns.key',
  payload: 'source.columns.payload',
  schemaKey: 'source.columns.schema_key',
} as const satisfies Record<keyof PostgresColumns, string>;

function need(ok: boolean, field: string, msg: string): void {
  if (!ok) throw new ConfigError(field, msg);
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;

export function resolvePostgresOptions(input: PostgresSourceInput): Readonly<PostgresSourceOptions> {
  const o: PostgresSourceOptions = { ...defaultPostgresSourceOptions, ...input };
  need(isName(o.url), 'source.url', 'set a postgres:// connection URL');
  need(isName(o.table), 'source.table', 'name the table or view to read, e.g. "archive.events"');
  for (const k of ['partition', 'eventTime', 'eventId', 'key', 'payload'] as const) {
    need(isName(o.columns?.[k]), columnField[k], 'name the column (a non-empty string)');
  }
  const sk = o.columns.schemaKey;
  need(
    isName(sk) || (typeof sk === 'object' && sk !== null && isName(sk.value)),
    columnField.schemaKey,
    'name a column or give a constant as { value: "proto:1.0:abc" }',
  );
  need(
    o.eventTimeUnit === undefined || Object.values(EventTimeUnit).includes(o.eventTimeUnit),
    'source.event_time_unit',
    `must be one of s, ms, us, ns (got ${String(o.eventTimeUnit)})`,
  );
  need(
    o.partitions === 'all' ||
      (Array.isArray(o.partitions) && o.partitions.every((p) => Number.isSafeInteger(p) && p >= 0)),
    'source.partitions',
    'use "all" or a list of non-negative integers',
  );
  need(
    Number.isSafeInteger(o.ceptraPartitions) && o.ceptraPartitions > 0,
    'source.ceptra_partitions',
    `must be a positive integer, CEPtra's partition count N (got ${String(o.ceptraPartitions)})`,
  );
  need(o.readMethod === 'copy' || o.readMethod === 'cursor', 'source.read_method', 'use "copy" or "cursor"');
  need(
    Number.isSafeInteger(o.fetchRows) && o.fetchRows > 0,
    'source.fetch_rows',
    'must be a positive integer',
  );
  need(
    o.routingPolicy === 'fail' || o.routingPolicy === 'send',
    'source.routing_policy',
    'use "fail" or "send"',
  );
  need(
    o.poolSize === undefined || (Number.isSafeInteger(o.poolSize) && o.poolSize > 0),
    'source.pool_size',
    'must be a positive integer',
  );
  return Object.freeze({ ...o, partitions: o.partitions === 'all' ? 'all' : [...new Set(o.partitions)] });
}
