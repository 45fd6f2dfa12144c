/**
 * Options of the Kafka source: where the cluster is, which topics, how a record becomes an event,
 * how much timestamp disorder is tolerated inside a topic-partition, and the scan's bounds.
 * Pure types plus validation; field names in errors are the YAML spelling (`source.…`).
 */
import { ConfigError } from '../../common/errors.js';

export const KafkaTimeUnit = { s: 's', ms: 'ms', us: 'us', ns: 'ns' } as const;
export type KafkaTimeUnit = (typeof KafkaTimeUnit)[keyof typeof KafkaTimeUnit];

/**
 * Where the event time comes from. `header`: decimal text in the unit (a fraction is allowed down
 * to whole nanoseconds, e.g. `1754006400.5` with unit `s`). `payload`: a field of the JSON value
 * (`$.ts`, `$.a.b`, `$.list[0]`): a number or decimal string in the unit, or with unit `iso8601`
 * an RFC 3339 / ISO-8601 string with up to 9 fractional digits and `Z` or `±hh:mm`.
 */
export type KafkaEventTime =
  | { from: 'timestamp' }
  | { from: 'header'; name: string; unit: KafkaTimeUnit }
  | { from: 'payload'; path: string; unit: KafkaTimeUnit | 'iso8601' };

/** `offset`: `<topic>/<partition>/<offset>`, unique and stable for a record. */
export type KafkaEventId =
  | { from: 'offset' }
  | { from: 'header'; name: string }
  | { from: 'payload'; path: string };

export type KafkaKey = { from: 'key' } | { from: 'header'; name: string };

export type KafkaSchemaKey = { from: 'constant'; value: string } | { from: 'header'; name: string };

export interface KafkaMapping {
  eventTime: KafkaEventTime;
  eventId: KafkaEventId;
  key: KafkaKey;
  schemaKey: KafkaSchemaKey;
  // payload: always the record value bytes, unparsed.
}

export interface KafkaTlsOptions {
  /** PEM file paths. */
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

export interface KafkaSaslOptions {
  mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  username: string;
  password: string;
}

/** What happens to a record more than `maxDisorderNs` behind its topic-partition's newest time. */
export const OnDisorder = { DeadLetter: 'dead-letter', Send: 'send' } as const;
export type OnDisorder = (typeof OnDisorder)[keyof typeof OnDisorder];

export interface KafkaSourceOptions {
  /** `host:port` bootstrap brokers. */
  brokers: string[];
  clientId: string;
  ssl: boolean | KafkaTlsOptions;
  sasl?: KafkaSaslOptions;
  topics: string[];
  /** N of CEPtra routing: an event goes to partition FNV-1a-64(key) mod N. */
  ceptraPartitions: number;
  /** Timestamp disorder tolerated inside one topic-partition (the reorder bound). */
  maxDisorderNs: bigint;
  onDisorder: OnDisorder;
  mapping: KafkaMapping;
  /**
   * Released events waiting for one CEPtra partition's reader before the scan pauses (every
   * topic-partition feeds every partition, so one slow reader holds the whole scan: head-of-line
   * blocking, accepted and bounded).
   */
  partitionBufferEvents: number;
  /** Records held for reordering (all partitions) before the scan reads only the laggards. */
  reorderBufferRecords: number;
  /** How long a shared scan waits for the reads it expects before starting with those present. */
  joinTimeoutMs: number;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  /** Fetch long-poll; also how fast a paused scan notices that it may resume. */
  maxWaitTimeMs: number;
  maxBytesPerPartition: number;
  /** Records read per topic-partition for the plan's disorder sample. */
  sampleRecords: number;
}

export const defaultKafkaSourceOptions = {
  clientId: 'ceptra-replay',
  ssl: false,
  maxDisorderNs: 5_000_000_000n,
  onDisorder: OnDisorder.DeadLetter,
  partitionBufferEvents: 50_000,
  reorderBufferRecords: 500_000,
  joinTimeoutMs: 15_000,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 30_000,
  maxWaitTimeMs: 100,
  maxBytesPerPartition: 1_048_576,
  sampleRecords: 1_000,
} as const satisfies Partial<KafkaSourceOptions>;

export const defaultKafkaMapping: Omit<KafkaMapping, 'schemaKey'> = Object.freeze({
  eventTime: { from: 'timestamp' },
  eventId: { from: 'offset' },
  key: { from: 'key' },
});

type Defaulted = keyof typeof defaultKafkaSourceOptions;
/** What callers pass: defaulted fields and mapping entries other than schemaKey may be omitted. */
export type KafkaSourceInput = Omit<KafkaSourceOptions, Defaulted | 'mapping'> &
  Partial<Omit<KafkaSourceOptions, 'mapping'>> & {
    mapping: Partial<KafkaMapping> & Pick<KafkaMapping, 'schemaKey'>;
  };

function need(ok: boolean, field: string, msg: string): void {
  if (!ok) throw new ConfigError(field, msg);
}

const isName = (v: unknown): v is string => typeof v === 'string' && v.trim().length > 0;
const units = Object.values(KafkaTimeUnit) as string[];

/** `$.a.b`, `a.b`, `$.list[0].ts` → ['a', 'b'] / ['list', 0, 'ts']; null when malformed. */
export function parseJsonPath(path: string): (string | number)[] | null {
  const body = path.startsWith('$') ? path.slice(1) : `.${path}`;
  const parts: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]/y;
  let at = 0;
  while (at < body.length) {
    re.lastIndex = at;
    const m = re.exec(body);
    if (!m) return null;
    parts.push(m[1] !== undefined ? m[1] : Number(m[2]));
    at = re.lastIndex;
  }
  return parts.length > 0 ? parts : null;
}

const fieldOf = (k: keyof KafkaMapping) =>
  ({
    eventTime: 'source.mapping.eventTime',
    eventId: 'source.mapping.eventId',
    key: 'source.mapping.key',
    schemaKey: 'source.mapping.schemaKey',
  })[k];

function checkMapping(m: KafkaMapping): void {
  const t = m.eventTime;
  const tf = fieldOf('eventTime');
  need(
    ['timestamp', 'header', 'payload'].includes(t?.from),
    `${tf}.from`,
    'use timestamp, header or payload',
  );
  if (t.from === 'header') {
    need(isName(t.name), `${tf}.name`, 'name the header holding the event time');
    need(units.includes(t.unit), `${tf}.unit`, `must be one of s, ms, us, ns (got ${String(t.unit)})`);
  }
  if (t.from === 'payload') {
    need(
      parseJsonPath(t.path) !== null,
      `${tf}.path`,
      `use a JSON path like $.ts or $.a.b (got ${String(t.path)})`,
    );
    need(
      units.includes(t.unit) || t.unit === 'iso8601',
      `${tf}.unit`,
      `must be one of s, ms, us, ns, iso8601 (got ${String(t.unit)})`,
    );
  }
  const id = m.eventId;
  const idf = fieldOf('eventId');
  need(['offset', 'header', 'payload'].includes(id?.from), `${idf}.from`, 'use offset, header or payload');
  if (id.from === 'header') need(isName(id.name), `${idf}.name`, 'name the header holding the event id');
  if (id.from === 'payload') {
    need(
      parseJsonPath(id.path) !== null,
      `${idf}.path`,
      `use a JSON path like $.id (got ${String(id.path)})`,
    );
  }
  const k = m.key;
  const kf = fieldOf('key');
  need(['key', 'header'].includes(k?.from), `${kf}.from`, 'use key (the record key) or header');
  if (k.from === 'header') need(isName(k.name), `${kf}.name`, 'name the header holding the key');
  const s = m.schemaKey;
  const sf = fieldOf('schemaKey');
  need(
    ['constant', 'header'].includes(s?.from),
    `${sf}.from`,
    'use constant (with value: "proto:1.0:abc") or header (with name)',
  );
  if (s.from === 'constant')
    need(isName(s.value), `${sf}.value`, 'give the schema key, e.g. "proto:1.0:abc"');
  if (s.from === 'header') need(isName(s.name), `${sf}.name`, 'name the header holding the schema key');
}

const positiveInt = (v: unknown) => Number.isSafeInteger(v) && (v as number) > 0;

export function resolveKafkaOptions(input: KafkaSourceInput): Readonly<KafkaSourceOptions> {
  const o: KafkaSourceOptions = {
    ...defaultKafkaSourceOptions,
    ...input,
    mapping: { ...defaultKafkaMapping, ...input.mapping } as KafkaMapping,
  };
  need(
    Array.isArray(o.brokers) && o.brokers.length > 0 && o.brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)),
    'source.brokers',
    `list the bootstrap brokers as host:port, e.g. [kafka-1:9092] (got ${JSON.stringify(o.brokers)})`,
  );
  need(isName(o.clientId), 'source.clientId', 'give a non-empty client id');
  need(
    Array.isArray(o.topics) &&
      o.topics.length > 0 &&
      o.topics.every((t) => /^[A-Za-z0-9._-]{1,249}$/.test(t)),
    'source.topics',
    `list the topics to replay (Kafka names: letters, digits, . _ -) (got ${JSON.stringify(o.topics)})`,
  );
  need(new Set(o.topics).size === o.topics.length, 'source.topics', 'a topic is listed twice');
  need(
    Number.isSafeInteger(o.ceptraPartitions) && o.ceptraPartitions > 0,
    'source.ceptra_partitions',
    `must be a positive integer, CEPtra's partition count N (got ${String(o.ceptraPartitions)})`,
  );
  need(
    typeof o.maxDisorderNs === 'bigint' && o.maxDisorderNs >= 0n,
    'source.maxDisorder',
    'must be a duration ≥ 0, e.g. 5s',
  );
  need(
    o.onDisorder === 'dead-letter' || o.onDisorder === 'send',
    'source.onDisorder',
    'use "dead-letter" or "send"',
  );
  if (typeof o.ssl === 'object' && o.ssl !== null) {
    for (const k of ['ca', 'cert', 'key'] as const) {
      const v = o.ssl[k];
      need(v === undefined || isName(v), `source.ssl.${k}`, 'give a PEM file path');
    }
    need(
      (o.ssl.cert === undefined) === (o.ssl.key === undefined),
      'source.ssl',
      'give both cert and key for mutual TLS, or neither',
    );
  } else {
    need(
      typeof o.ssl === 'boolean',
      'source.ssl',
      'use true, false, or { ca, cert, key, rejectUnauthorized }',
    );
  }
  if (o.sasl !== undefined) {
    need(
      ['plain', 'scram-sha-256', 'scram-sha-512'].includes(o.sasl.mechanism),
      'source.sasl.mechanism',
      `use plain, scram-sha-256 or scram-sha-512 (got ${String(o.sasl.mechanism)})`,
    );
    need(isName(o.sasl.username), 'source.sasl.username', 'give the SASL user name');
    need(typeof o.sasl.password === 'string', 'source.sasl.password', 'give the SASL password');
  }
  checkMapping(o.mapping);
  for (const k of [
    'partitionBufferEvents',
    'reorderBufferRecords',
    'connectionTimeoutMs',
    'requestTimeoutMs',
    'maxBytesPerPartition',
    'sampleRecords',
  ] as const) {
    need(positiveInt(o[k]), `source.${k}`, `must be a positive integer (got ${String(o[k])})`);
  }
  for (const k of ['joinTimeoutMs', 'maxWaitTimeMs'] as const) {
    need(
      Number.isSafeInteger(o[k]) && o[k] >= 0,
      `source.${k}`,
      `must be an integer ≥ 0 (got ${String(o[k])})`,
    );
  }
  return Object.freeze({ ...o, brokers: [...o.brokers], topics: [...o.topics] });
}
