/**
 * The job file's `source: { type: kafka, … }` (zod 4). Defaults come from the source's own
 * (`defaultKafkaSourceOptions`), so there is one definition of each; the cross-field checks (a
 * JSON path that parses, a unit the mapping accepts) run in `resolve.ts` through the source's
 * `resolveKafkaOptions`, whose messages name the YAML field.
 */
import { z } from 'zod';
import { defaultKafkaSourceOptions, type KafkaSourceInput } from '../sources/kafka/options.js';
import { DURATION_PATTERN } from './duration.js';
import type { KafkaSourceConfig } from './types.js';

const name = (description: string) => z.string().min(1).meta({ description });
const unit = z.enum(['s', 'ms', 'us', 'ns']);
const posInt = (description: string, dflt: number) =>
  z.number().int().positive().default(dflt).meta({ description });
const ms = (description: string, dflt: number) =>
  z
    .union([z.string().meta({ pattern: DURATION_PATTERN }), z.number().nonnegative()])
    .default(dflt)
    .meta({ description: `${description} Duration (250ms, 15s) or a number of milliseconds.` });

const eventTime = z
  .discriminatedUnion('from', [
    z.strictObject({ from: z.literal('timestamp') }),
    z.strictObject({ from: z.literal('header'), name: name('Header with the time as decimal text.'), unit }),
    z.strictObject({
      from: z.literal('payload'),
      path: name('JSON path into the record value, e.g. $.ts or $.meta.time.'),
      unit: z.enum(['s', 'ms', 'us', 'ns', 'iso8601']),
    }),
  ])
  .default({ from: 'timestamp' })
  .meta({
    description:
      'event_time: the record timestamp (ms), a header (decimal text in unit), or a JSON payload field (number or decimal string in unit, or an RFC 3339 string with unit iso8601).',
  });

const eventId = z
  .discriminatedUnion('from', [
    z.strictObject({ from: z.literal('offset') }),
    z.strictObject({ from: z.literal('header'), name: name('Header with the event id.') }),
    z.strictObject({ from: z.literal('payload'), path: name('JSON path of the event id, e.g. $.id.') }),
  ])
  .default({ from: 'offset' })
  .meta({
    description: 'event_id: <topic>/<partition>/<offset> (offset), a header, or a JSON payload field.',
  });

const key = z
  .discriminatedUnion('from', [
    z.strictObject({ from: z.literal('key') }),
    z.strictObject({ from: z.literal('header'), name: name('Header with the routing key.') }),
  ])
  .default({ from: 'key' })
  .meta({
    description: 'Routing key: the record key (bytes) or a header. CEPtra routes by FNV-1a-64(key) mod N.',
  });

const schemaKey = z
  .discriminatedUnion('from', [
    z.strictObject({
      from: z.literal('constant'),
      value: name('Schema key of every event, e.g. proto:1.0:abc.'),
    }),
    z.strictObject({ from: z.literal('header'), name: name('Header with the schema key.') }),
  ])
  .meta({ description: 'schema_key: a constant, or a header.' });

export const kafkaSourceSchema = z
  .strictObject({
    type: z.literal('kafka').meta({ description: 'Source kind.' }),
    brokers: z
      .array(z.string())
      .min(1)
      .meta({ description: 'Bootstrap brokers, host:port.', examples: [['kafka-1:9092', 'kafka-2:9092']] }),
    clientId: z
      .string()
      .default(defaultKafkaSourceOptions.clientId)
      .meta({ description: 'Kafka client id.' }),
    topics: z.array(z.string()).min(1).meta({ description: 'Topics to replay (every partition of each).' }),
    ssl: z
      .union([
        z.boolean(),
        z.strictObject({
          ca: name('CA bundle (PEM) path.').optional(),
          cert: name('Client certificate (PEM) path, for mTLS.').optional(),
          key: name('Client key (PEM) path, for mTLS.').optional(),
          rejectUnauthorized: z
            .boolean()
            .default(true)
            .meta({ description: 'Verify the brokers’ certificates.' }),
        }),
      ])
      .default(false)
      .meta({
        description:
          'TLS to the brokers: true (system CAs), false, or { ca, cert, key, rejectUnauthorized }.',
      }),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z.string().meta({ description: 'Usually \u0024{KAFKA_PASSWORD}; never printed.' }),
      })
      .optional()
      .meta({ description: 'SASL authentication.' }),
    mapping: z
      .strictObject({ eventTime, eventId, key, schemaKey })
      .meta({ description: 'How a record becomes an event; the payload is the record value, unparsed.' }),
    partitions: z
      .union([z.literal('all'), z.array(z.number().int().min(0)).min(1)])
      .default('all')
      .meta({ description: 'CEPtra partitions to replay: all (0..target.partitions-1) or a list.' }),
    maxDisorder: z
      .union([z.string().meta({ pattern: DURATION_PATTERN }), z.number().nonnegative()])
      .default('5s')
      .meta({
        description:
          'Timestamp disorder tolerated inside one topic-partition (the reorder bound); a record further behind its topic-partition’s newest time is handled per guardrails.onDisorder. Duration or milliseconds.',
      }),
    partitionBufferEvents: posInt(
      'Released events waiting for one partition before the shared scan pauses.',
      defaultKafkaSourceOptions.partitionBufferEvents,
    ),
    reorderBufferRecords: posInt(
      'Records held for reordering before the scan reads only the topic-partitions holding the merge back.',
      defaultKafkaSourceOptions.reorderBufferRecords,
    ),
    joinTimeout: ms(
      'How long the shared scan waits for every partition’s read before starting with those present.',
      defaultKafkaSourceOptions.joinTimeoutMs,
    ),
    connectionTimeout: ms('Broker connection timeout.', defaultKafkaSourceOptions.connectionTimeoutMs),
    requestTimeout: ms('Broker request timeout.', defaultKafkaSourceOptions.requestTimeoutMs),
    maxWaitTime: ms('Fetch long-poll.', defaultKafkaSourceOptions.maxWaitTimeMs),
    maxBytesPerPartition: posInt(
      'Fetch size per topic-partition.',
      defaultKafkaSourceOptions.maxBytesPerPartition,
    ),
    sampleRecords: posInt(
      'Records read per topic-partition for the plan’s disorder sample.',
      defaultKafkaSourceOptions.sampleRecords,
    ),
  })
  .meta({
    description:
      'Kafka topics (kafkajs); records merged per CEPtra partition in (event_time, event_id) order.',
  });

/** The resolved config → the Kafka source's options (CEPtra's N from target.partitions). */
export function kafkaSourceInput(
  s: KafkaSourceConfig,
  ceptraPartitions: number,
  onDisorder: 'dead-letter' | 'send',
): KafkaSourceInput {
  const { type: _type, partitions: _partitions, brokers, topics, ...options } = s;
  return { ...options, brokers: [...brokers], topics: [...topics], ceptraPartitions, onDisorder };
}
