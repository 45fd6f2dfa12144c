/**
 * The job file's shape (zod 4). Structure, types, ranges and defaults live here; exact time and
 * duration parsing and cross-field rules live in `resolve.ts` so their messages can name values
 * precisely. `config/job.schema.json` is generated from this schema (`write-schema.ts`).
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.js';
import { kafkaSourceSchema } from './kafka-schema.js';
import {
  defaultColumns,
  defaultFlowOptions,
  defaultGuardrailOptions,
  defaultSourceOptions,
  defaultStateOptions,
  defaultTargetOptions,
  defaultTlsOptions,
} from './options.js';

const timestamp = (description: string) =>
  z.string().meta({ description, format: 'date-time', examples: ['2025-08-01T00:00:00Z'] });
const duration = (description: string, example: string) =>
  z.union([z.string().meta({ pattern: DURATION_PATTERN }), z.number().nonnegative()]).meta({
    description: `${description} Duration: 30d, 1h30m, 250ms, 0s, 500us; a plain number means milliseconds.`,
    examples: [example],
  });
const int = (min: number, max: number, description: string) =>
  z.number().int().min(min).max(max).meta({ description });
const pathString = (description: string) => z.string().min(1).meta({ description });

export const windowSchema = z
  .strictObject({
    start: timestamp('Inclusive start of the window, RFC 3339 (up to 9 fractional digits, Z or ±hh:mm).'),
    end: timestamp('Exclusive end of the window, RFC 3339; must be after start.'),
  })
  .meta({ description: 'Half-open event-time window [start, end).' });

export const columnsSchema = z
  .strictObject({
    partition: z.string().default(defaultColumns.partition).meta({ description: 'Source partition column.' }),
    event_time: z
      .string()
      .default(defaultColumns.event_time)
      .meta({ description: 'Event time column (timestamptz, timestamp, or integer with eventTimeUnit).' }),
    event_id: z
      .string()
      .default(defaultColumns.event_id)
      .meta({ description: 'Event id column (text or integer).' }),
    key: z
      .string()
      .default(defaultColumns.key)
      .meta({ description: 'Partition key column (text or bytea).' }),
    payload: z
      .string()
      .default(defaultColumns.payload)
      .meta({ description: 'Payload column (jsonb, json, text, bytea).' }),
    schema_key: z
      .union([
        z.string(),
        z.strictObject({ value: z.string().min(1).meta({ description: 'Constant schema key.' }) }),
      ])
      .default(defaultColumns.schema_key)
      .meta({ description: 'Schema key column, or a constant: { value: "proto:1.0:abc" }.' }),
  })
  .default(defaultColumns)
  .meta({ description: 'Column names of the source table.' });

export const postgresSourceSchema = z
  .strictObject({
    type: z.literal('postgres').meta({ description: 'Source kind.' }),
    url: z.string().meta({ description: 'PostgreSQL connection URL, usually \u0024{DATABASE_URL}.' }),
    table: z
      .string()
      .default(defaultSourceOptions.table)
      .meta({ description: 'Table or view, optionally schema-qualified (schema.table).' }),
    columns: columnsSchema,
    eventTimeUnit: z
      .enum(['s', 'ms', 'us', 'ns'])
      .optional()
      .meta({ description: 'Unit of an integer event_time column; omit for timestamp columns.' }),
    partitions: z
      .union([z.literal('all'), z.array(z.number().int().min(0)).min(1)])
      .default(defaultSourceOptions.partitions)
      .meta({ description: 'Source partitions to replay: all, or a list of partition ids.' }),
    readMethod: z
      .enum(['copy', 'cursor'])
      .default(defaultSourceOptions.readMethod)
      .meta({ description: 'copy = COPY … TO STDOUT (fastest); cursor = server-side cursor.' }),
    fetchRows: int(1, 1_000_000, 'Rows fetched per round trip (cursor) or per COPY chunk.').default(
      defaultSourceOptions.fetchRows,
    ),
  })
  .meta({ description: 'A PostgreSQL table or view.' });

export const sourceSchema = z
  .discriminatedUnion('type', [postgresSourceSchema, kafkaSourceSchema])
  .meta({ description: 'Where the history is read from (discriminated by type).' });

export const tlsSchema = z
  .strictObject({
    ca: pathString('CA bundle (PEM) path.').optional(),
    cert: pathString('Client certificate (PEM) path, for mTLS.').optional(),
    key: pathString('Client private key (PEM) path, for mTLS.').optional(),
    rejectUnauthorized: z
      .boolean()
      .default(defaultTlsOptions.rejectUnauthorized)
      .meta({ description: 'Verify the server certificate.' }),
    servername: z.string().optional().meta({ description: 'TLS SNI / certificate name override.' }),
  })
  .meta({ description: 'TLS settings for an https target.' });

export const targetSchema = z
  .strictObject({
    url: z.string().meta({ description: 'CEPtra ingest base URL (http or https).' }),
    mode: z
      .enum(['batch', 'single'])
      .default(defaultTargetOptions.mode)
      .meta({ description: 'batch = POST /append/batch; single = POST /append per event.' }),
    partitions: int(1, 1_048_576, 'CEPtra partition count N (routing = FNV-1a-64(key) mod N).'),
    connections: int(1, 1024, 'HTTP connections to the target.').default(defaultTargetOptions.connections),
    pipelining: int(1, 64, 'HTTP/1.1 pipelining depth per connection.').default(
      defaultTargetOptions.pipelining,
    ),
    timeoutMs: duration('Per-request timeout (number = ms).', '30s').default(defaultTargetOptions.timeoutMs),
    outageDeadlineMs: duration(
      'How long the client retries an unreachable or refusing target (network errors, 5xx, 429/503) before the partition pauses as waiting-for-target (cursor kept; it resumes by itself).',
      '30s',
    ).default(defaultTargetOptions.outageDeadlineMs),
    format: z
      .enum(['ndjson', 'json'])
      .default(defaultTargetOptions.format)
      .meta({ description: 'Batch body: ndjson (one event per line) or json ({"events":[…]}).' }),
    tls: tlsSchema.optional(),
  })
  .meta({ description: 'The CEPtra cluster (or emulator) receiving the replay.' });

const num = (min: number, max: number, description: string) =>
  z.number().min(min).max(max).meta({ description });

export const flowSchema = z
  .strictObject({
    mode: z.enum(['adaptive', 'static']).default(defaultFlowOptions.mode).meta({
      description:
        'adaptive: each partition is paced from the target’s apply lag, batch size and in-flight follow the pace; static: fixed batchSize / maxInFlight.',
    }),
    targetApplyLagMs: duration('Apply lag the adaptive controller keeps the target under.', '200ms').default(
      defaultFlowOptions.targetApplyLagMs,
    ),
    lagPollIntervalMs: duration(
      'How often apply lag is read from the target (/metrics, /readyz).',
      '250ms',
    ).default(defaultFlowOptions.lagPollIntervalMs),
    minBatch: int(1, 100_000, 'Smallest batch the controller uses.').default(defaultFlowOptions.minBatch),
    maxBatch: int(1, 100_000, 'Largest batch the controller uses.').default(defaultFlowOptions.maxBatch),
    startBatch: int(1, 100_000, 'Adaptive starting batch size (default: batchSize).').optional(),
    startInFlight: int(
      1,
      1024,
      'Adaptive starting batches in flight (default: min(2, maxInFlight)).',
    ).optional(),
    startRate: num(
      1,
      1e9,
      'Pace (events/s per partition) a partition starts at; doubles per lag sample while the target keeps up.',
    ).default(defaultFlowOptions.startRate),
    increaseStep: int(
      1,
      100_000,
      'Round-trip fallback: additive increase of the batch size per decision.',
    ).default(defaultFlowOptions.increaseStep),
    decreaseFactor: num(
      0.05,
      0.95,
      'Multiplicative decrease of the pace on back-pressure or replication lag over its limit.',
    ).default(defaultFlowOptions.decreaseFactor),
    lowWatermark: num(0, 1, 'Set point: the pace aims at an apply lag of target × lowWatermark.').default(
      defaultFlowOptions.lowWatermark,
    ),
    maxRate: num(0, 1e9, 'Global events/s cap shared by all partitions and workers (0 = none).').default(
      defaultFlowOptions.maxRate,
    ),
    maxBurst: int(0, 1e9, 'Burst of the global cap in events (0 = maxRate × poll interval).').default(
      defaultFlowOptions.maxBurst,
    ),
    replicationLagLimitMs: duration('Replication lag treated like apply lag over target.', '250ms').default(
      defaultFlowOptions.replicationLagLimitMs,
    ),
    rttInflation: num(1.05, 100, 'Without a lag signal: cut when RTT exceeds its minimum × this.').default(
      defaultFlowOptions.rttInflation,
    ),
    batchSize: int(1, 100_000, 'Events per request (static mode; adaptive starting point).').default(
      defaultFlowOptions.batchSize,
    ),
    maxInFlight: int(1, 1024, 'Batches in flight per partition (static value; adaptive ceiling).').default(
      defaultFlowOptions.maxInFlight,
    ),
    parallelPartitions: int(1, 65_536, 'Partitions replayed at the same time.').default(
      defaultFlowOptions.parallelPartitions,
    ),
    commitIntervalMs: duration('Cursor commit interval per partition (number = ms).', '200ms').default(
      defaultFlowOptions.commitIntervalMs,
    ),
    commitEveryBatches: int(1, 1_000_000, 'Commit at least every K acknowledged batches.').default(
      defaultFlowOptions.commitEveryBatches,
    ),
    maxUncommittedEvents: int(
      1,
      1_000_000_000,
      'While cursor commits fail, new batches wait once this many acknowledged events are uncommitted.',
    ).default(defaultFlowOptions.maxUncommittedEvents),
  })
  .default(defaultFlowOptions)
  .meta({ description: 'Batching, concurrency and cursor commits.' });

export const stateSchema = z
  .union([
    z.strictObject({
      url: z.string().meta({ description: 'PostgreSQL URL; state lives in schema ceptra_replay.' }),
    }),
    z.strictObject({ file: pathString('JSON state file (atomic writes), for runs without Postgres.') }),
  ])
  .default(defaultStateOptions)
  .meta({ description: 'Where cursors, job metadata and audit rows are kept: { url } or { file }.' });

export const guardrailsSchema = z
  .strictObject({
    maxWindow: duration('Largest total window a job may cover.', '30d').default(
      defaultGuardrailOptions.maxWindow,
    ),
    safetyLag: duration('window.end must be ≤ now − safetyLag (late-committing rows).', '5m').default(
      defaultGuardrailOptions.safetyLag,
    ),
    paneSize: duration('CEPtra pane size q; windows are aligned to it.', '250ms').default(
      defaultGuardrailOptions.paneSize,
    ),
    align: z
      .enum(['round', 'fail'])
      .default(defaultGuardrailOptions.align)
      .meta({ description: 'Unaligned window: round (start down, end up, with a warning) or fail.' }),
    allowSort: z
      .boolean()
      .default(defaultGuardrailOptions.allowSort)
      .meta({ description: 'Allow a read that needs a sort (no usable index).' }),
    routing: z.enum(['fail', 'send']).default(defaultGuardrailOptions.routing).meta({
      description: 'Source partition ≠ FNV(key) mod N: fail, or send anyway (CEPtra routes by key).',
    }),
    rate: z
      .number()
      .positive()
      .default(defaultGuardrailOptions.rate)
      .meta({ description: 'Events/s assumed for plan ETAs.' }),
    onPoison: z.enum(['dead-letter', 'fail']).default(defaultGuardrailOptions.onPoison).meta({
      description:
        'A poison event (NULL id/key/payload, undecodable payload, oversize, > 5 s in the future, refused permanently by the target): dead-letter = store it with the reason and continue; fail = store it, then fail the job (exit 1).',
    }),
    maxDeadLetters: int(
      0,
      1_000_000_000,
      'With onPoison: dead-letter, the job fails (exit 1) once it holds more dead letters than this.',
    ).default(defaultGuardrailOptions.maxDeadLetters),
    onDisorder: z.enum(['dead-letter', 'send']).default(defaultGuardrailOptions.onDisorder).meta({
      description:
        'Kafka: a record more than source.maxDisorder behind the newest time of its topic-partition: dead-letter = store it with reason OUT_OF_ORDER_SOURCE; send = send it anyway, alone, out of order.',
    }),
  })
  .default(defaultGuardrailOptions)
  .meta({ description: 'Safety checks applied before anything is sent.' });

export const metricSchema = z
  .strictObject({
    name: z.string().meta({ description: 'Metric name ([A-Za-z_][A-Za-z0-9_:.-]*).' }),
    kind: z.enum(['count', 'sum', 'avg', 'min', 'max', 'quantile', 'topk', 'distinct']),
    field: z
      .string()
      .optional()
      .meta({ description: 'JSON path into the payload, e.g. $.amount or $.a[0].b.' }),
    q: z.number().min(0).max(1).optional().meta({ description: 'Quantile in [0, 1] (kind quantile).' }),
    mode: z.enum(['exact', 'kll', 'hll']).optional().meta({
      description: 'quantile: exact (nearest rank) | kll (k=200); distinct: exact | hll (HLL++ p=14).',
    }),
    k: z.number().int().min(1).max(200).optional().meta({ description: 'topk size (≤ 100) or KLL k.' }),
  })
  .meta({ description: 'A pane metric folded over a payload field on both sides.' });

export const verifySchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({
      description: 'Fold source-side panes during the replay (the built-ins cost ~15 ns per event).',
    }),
    paneSize: duration('Pane width q; pane = floor(ts_ns / q).', '250ms').default('250ms'),
    metrics: z.array(metricSchema).default([]).meta({
      description: 'Payload-field metrics folded besides ingest_events_total and ingest_payload_bytes.',
    }),
  })
  .default({ enabled: true, paneSize: '250ms', metrics: [] })
  .meta({ description: 'Source-side pane folding and `verify` (monoid reducers).' });

export const jobFileSchema = z
  .strictObject({
    job: z.string().meta({
      description: 'Job id ([A-Za-z0-9._-], ≤ 100 chars); cursors, audit and resume are keyed by it.',
      examples: ['gap-2025-08-01'],
    }),
    window: windowSchema.optional(),
    windows: z.array(windowSchema).min(1).optional().meta({
      description:
        'Several windows instead of window: sorted, non-overlapping. Exactly one of window / windows.',
    }),
    source: sourceSchema,
    target: targetSchema,
    workers: z
      .union([z.literal('auto'), int(0, 256, 'Worker threads.')])
      .default('auto')
      .meta({
        description:
          'Worker threads streaming partitions (piscina pool): auto = available cores; 0 = inline on the main thread (debugging).',
      }),
    flow: flowSchema,
    state: stateSchema,
    guardrails: guardrailsSchema,
    verify: verifySchema,
  })
  .meta({ title: 'ceptra-replay job', description: 'A ceptra-replay job file (YAML).' });

/** What a job file may contain (before defaults). */
export type JobFileInput = z.input<typeof jobFileSchema>;
/** The file after structural validation and defaults, before semantic resolution. */
export type JobFileParsed = z.output<typeof jobFileSchema>;
