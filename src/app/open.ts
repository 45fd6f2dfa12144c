/**
 * Wiring: the validated job config → source (Postgres or Kafka) and sink (the state stores: `src/stores`). The only
 * place that knows which driver backs which port; also what a worker thread builds its own from.
 */
import type { Registry } from 'prom-client';
import type { Logger } from '../common/logger.js';
import type { JobConfig } from '../config/index.js';
import { kafkaSourceInput } from '../config/kafka-schema.js';
import type { PostgresSourceConfig } from '../config/types.js';
import { type CeptraClientOptions, type CeptraSink, createCeptraSink } from '../sinks/ceptra/index.js';
import { createKafkaSource, type KafkaSource } from '../sources/kafka/index.js';
import { createPostgresSource, type PostgresSource } from '../sources/postgres/index.js';
import { targetStartupError } from './startup-errors.js';

/** What building a source and a sink needs: JSON-safe, so it can be handed to a worker thread. */
export interface PortsConfig {
  job: string;
  source: JobConfig['source'];
  target: JobConfig['target'];
  flow: Pick<JobConfig['flow'], 'parallelPartitions'>;
  guardrails: Pick<JobConfig['guardrails'], 'allowSort' | 'routing' | 'onDisorder'>;
  /** The run's log level, for the drivers a worker thread builds (default warn). */
  logLevel?: string;
}

export function portsConfig(
  config: JobConfig,
  readers = config.flow.parallelPartitions,
  logLevel = 'warn',
): PortsConfig {
  return {
    job: config.job,
    logLevel,
    source: config.source,
    target: config.target,
    flow: { parallelPartitions: readers },
    guardrails: {
      allowSort: config.guardrails.allowSort,
      routing: config.guardrails.routing,
      onDisorder: config.guardrails.onDisorder,
    },
  };
}

/** The sources a job can read; `type` tells them apart where a check is source-specific. */
export type ReplaySource = PostgresSource | KafkaSource;

export async function openSource(
  config: PortsConfig,
  logger: Logger,
  registry?: Registry,
): Promise<ReplaySource> {
  const s = config.source;
  if (s.type === 'kafka') {
    return createKafkaSource(kafkaSourceInput(s, config.target.partitions, config.guardrails.onDisorder), {
      logger,
      ...(registry ? { metrics: { registry, job: config.job } } : {}),
    });
  }
  return openPostgresSource(config, s, logger);
}

async function openPostgresSource(
  config: PortsConfig,
  s: PostgresSourceConfig,
  logger: Logger,
): Promise<PostgresSource> {
  const c = s.columns;
  return createPostgresSource(
    {
      url: s.url,
      table: s.table,
      columns: {
        partition: c.partition,
        eventTime: c.event_time,
        eventId: c.event_id,
        key: c.key,
        payload: c.payload,
        schemaKey: c.schema_key,
      },
      ...(s.eventTimeUnit ? { eventTimeUnit: s.eventTimeUnit } : {}),
      partitions: s.partitions === 'all' ? 'all' : [...s.partitions],
      ceptraPartitions: config.target.partitions,
      readMethod: s.readMethod,
      fetchRows: s.fetchRows,
      allowSort: config.guardrails.allowSort,
      routingPolicy: config.guardrails.routing,
      // One reader connection per partition streamed at once, plus one for planning queries.
      poolSize: config.flow.parallelPartitions + 1,
    },
    { logger },
  );
}

export async function openSink(
  config: PortsConfig,
  logger: Logger,
  registry?: Registry,
): Promise<CeptraSink> {
  const t = config.target;
  const opts: Partial<CeptraClientOptions> = {
    url: t.url,
    mode: t.mode,
    connections: t.connections,
    pipelining: t.pipelining,
    headersTimeoutMs: t.timeoutMs,
    bodyTimeoutMs: t.timeoutMs,
    maxRetryDurationMs: t.outageDeadlineMs,
    batchEncoding: t.format,
    job: config.job,
    registry,
    logger,
    ...(t.tls
      ? {
          tls: {
            ...(t.tls.ca ? { ca: { path: t.tls.ca } } : {}),
            ...(t.tls.cert ? { cert: { path: t.tls.cert } } : {}),
            ...(t.tls.key ? { key: { path: t.tls.key } } : {}),
            rejectUnauthorized: t.tls.rejectUnauthorized,
            ...(t.tls.servername ? { servername: t.tls.servername } : {}),
          },
        }
      : {}),
  };
  try {
    return await createCeptraSink(opts);
  } catch (err) {
    throw targetStartupError(err, t.url);
  }
}
