/** Record → event mapping, its poison reasons, and the options' validation. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/common/errors.js';
import { partitionForKey } from '../../../src/common/fnv.js';
import {
  createMapper,
  decimalToNs,
  type KafkaMapping,
  type KafkaRecordIn,
  type KafkaSourceInput,
  parseJsonPath,
  resolveKafkaOptions,
} from '../../../src/sources/kafka/index.js';

const tp = { topic: 'events', partition: 3 };
const N = 8;
const constant = { from: 'constant', value: 'proto:1.0:x' } as const;
const defaults: KafkaMapping = {
  eventTime: { from: 'timestamp' },
  eventId: { from: 'offset' },
  key: { from: 'key' },
  schemaKey: constant,
};

const rec = (over: Partial<KafkaRecordIn> = {}): KafkaRecordIn => ({
  offset: '42',
  timestamp: '1754006400123',
  key: Buffer.from('user-1'),
  value: Buffer.from('{"ts":"1754006400.5","id":"abc","n":{"t":1754006400123}}'),
  headers: {},
  ...over,
});

describe('createMapper', () => {
  it('the default mapping: record timestamp (ms), <topic>/<partition>/<offset>, record key, value bytes', () => {
    const r = createMapper(defaults, tp, N)(rec());
    expect(r.poison).toBeUndefined();
    expect(r.offset).toBe(42);
    expect(r.partition).toBe(partitionForKey('user-1', N));
    expect(r.event).toEqual({
      tsNs: 1_754_006_400_123_000_000n,
      eventId: 'events/3/42',
      key: Buffer.from('user-1'),
      payload: rec().value,
      schemaKey: 'proto:1.0:x',
    });
    // The payload is the record's own buffer: passed through, never parsed or copied.
    const m = rec();
    expect(createMapper(defaults, tp, N)(m).event!.payload).toBe(m.value);
  });

  it('an empty key is a key (FNV of no bytes)', () => {
    const r = createMapper(defaults, tp, N)(rec({ key: Buffer.alloc(0) }));
    expect(r.event?.key.length).toBe(0);
    expect(r.partition).toBe(partitionForKey(Buffer.alloc(0), N));
  });

  it('headers: time with unit (decimal text), id, key and schema key; a repeated header uses its first value', () => {
    const m = createMapper(
      {
        eventTime: { from: 'header', name: 'ts', unit: 's' },
        eventId: { from: 'header', name: 'id' },
        key: { from: 'header', name: 'k' },
        schemaKey: { from: 'header', name: 'sk' },
      },
      tp,
      N,
    );
    const r = m(
      rec({
        headers: { ts: '1754006400.000000001', id: Buffer.from('e-1'), k: ['u-1', 'u-2'], sk: 'proto:2' },
      }),
    );
    expect(r.event).toMatchObject({
      tsNs: 1_754_006_400_000_000_001n,
      eventId: 'e-1',
      key: Buffer.from('u-1'),
      schemaKey: 'proto:2',
    });
    expect(r.partition).toBe(partitionForKey('u-1', N));
  });

  it('payload fields: decimal strings, numbers, nested paths, ISO-8601', () => {
    const ms = createMapper(
      {
        ...defaults,
        eventTime: { from: 'payload', path: '$.n.t', unit: 'ms' },
        eventId: { from: 'payload', path: 'id' },
      },
      tp,
      N,
    )(rec());
    expect(ms.event).toMatchObject({ tsNs: 1_754_006_400_123_000_000n, eventId: 'abc' });
    const s = createMapper(
      { ...defaults, eventTime: { from: 'payload', path: '$.ts', unit: 's' } },
      tp,
      N,
    )(rec());
    expect(s.event?.tsNs).toBe(1_754_006_400_500_000_000n);
    const iso = createMapper(
      { ...defaults, eventTime: { from: 'payload', path: '$.at[0]', unit: 'iso8601' } },
      tp,
      N,
    )(rec({ value: Buffer.from('{"at":["2025-08-01T02:00:00.000000007+02:00"]}') }));
    expect(iso.event?.tsNs).toBe(1_754_006_400_000_000_007n);
  });

  it('poison: each reason, with the raw record as text and the bytes it has', () => {
    const m = createMapper(defaults, tp, N);
    const noKey = m(rec({ key: null, headers: { h: Buffer.from([0xff, 0x00]) } }));
    expect(noKey.poison?.reason).toBe('NULL_KEY');
    // Without a key: reported by CEPtra partition (Kafka partition mod N).
    expect(noKey.partition).toBe(3 % N);
    expect(noKey.tsNs).toBe(1_754_006_400_123_000_000n);
    expect(noKey.poison?.raw).toMatchObject({
      topic: 'events',
      partition: '3',
      offset: '42',
      timestamp: '1754006400123',
      key: null,
      headers: JSON.stringify({ h: '\\xff00' }),
    });
    expect(m(rec({ value: null })).poison).toMatchObject({ reason: 'NULL_VALUE', eventId: 'events/3/42' });
    expect(m(rec({ timestamp: '-1' })).poison).toMatchObject({ reason: 'BAD_EVENT_TIME', tsNs: null });
    // A record that failed keeps its key: it routes like its event would have.
    expect(m(rec({ timestamp: '-1' })).partition).toBe(partitionForKey('user-1', N));

    const h = createMapper(
      {
        ...defaults,
        eventTime: { from: 'header', name: 'ts', unit: 'ms' },
        eventId: { from: 'header', name: 'id' },
      },
      tp,
      N,
    );
    expect(h(rec()).poison?.reason).toBe('MISSING_HEADER');
    expect(h(rec({ headers: { ts: 'soon', id: 'x' } })).poison?.reason).toBe('BAD_EVENT_TIME');
    expect(h(rec({ headers: { ts: '1.0000001', id: 'x' } })).poison?.reason).toBe('BAD_EVENT_TIME');
    expect(h(rec({ headers: { ts: '5', id: '' } })).poison?.reason).toBe('EMPTY_EVENT_ID');
    expect(h(rec({ headers: { ts: '5', id: Buffer.from([0xc3]) } })).poison?.reason).toBe('HEADER_NOT_UTF8');

    const p = createMapper({ ...defaults, eventTime: { from: 'payload', path: '$.t', unit: 'ns' } }, tp, N);
    expect(p(rec({ value: Buffer.from('not json') })).poison?.reason).toBe('BAD_PAYLOAD_JSON');
    expect(p(rec({ value: Buffer.from('{"u":1}') })).poison?.reason).toBe('MISSING_FIELD');
    // A JSON number above 2^53 is not exact.
    expect(p(rec({ value: Buffer.from('{"t":1754006400000000001}') })).poison?.reason).toBe('BAD_EVENT_TIME');
    expect(p(rec({ value: Buffer.from('{"t":"1754006400000000001"}') })).event?.tsNs).toBe(
      1_754_006_400_000_000_001n,
    );
    const bad = p(rec({ value: null }));
    expect(bad.poison?.reason).toBe('NULL_VALUE');
  });
});

describe('decimalToNs and parseJsonPath', () => {
  it('exact decimals per unit', () => {
    expect(decimalToNs('1', 's')).toBe(1_000_000_000n);
    expect(decimalToNs('1.5', 'ms')).toBe(1_500_000n);
    expect(decimalToNs('-2.25', 'us')).toBe(-2_250n);
    expect(decimalToNs('7.000', 'ns')).toBe(7n);
    expect(decimalToNs('7.5', 'ns')).toBeNull();
    expect(decimalToNs('1e3', 'ms')).toBeNull();
    expect(decimalToNs('', 's')).toBeNull();
  });

  it('paths', () => {
    expect(parseJsonPath('$.ts')).toEqual(['ts']);
    expect(parseJsonPath('a.b')).toEqual(['a', 'b']);
    expect(parseJsonPath('$.list[2].t')).toEqual(['list', 2, 't']);
    expect(parseJsonPath('$')).toBeNull();
    expect(parseJsonPath('$..x')).toBeNull();
  });
});

describe('resolveKafkaOptions', () => {
  const base: KafkaSourceInput = {
    brokers: ['kafka-1:9092'],
    topics: ['events'],
    ceptraPartitions: 16,
    mapping: { schemaKey: constant },
  };
  const field = (over: Record<string, unknown>) => {
    try {
      resolveKafkaOptions({ ...base, ...over } as KafkaSourceInput);
      return null;
    } catch (e) {
      return e instanceof ConfigError ? [e.field, e.message] : String(e);
    }
  };

  it('defaults: record timestamp, offset ids, record key, 5 s disorder dead-lettered', () => {
    const o = resolveKafkaOptions(base);
    expect(o.mapping).toEqual({ ...defaults });
    expect(o.maxDisorderNs).toBe(5_000_000_000n);
    expect(o.onDisorder).toBe('dead-letter');
    expect(o.clientId).toBe('ceptra-replay');
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('names the field and the fix', () => {
    expect(field({ brokers: ['kafka-1'] })?.[0]).toBe('source.brokers');
    expect(field({ brokers: [] })?.[1]).toMatch(/host:port/);
    expect(field({ topics: ['a b'] })?.[0]).toBe('source.topics');
    expect(field({ topics: ['a', 'a'] })?.[1]).toMatch(/twice/);
    expect(field({ ceptraPartitions: 0 })?.[0]).toBe('source.ceptra_partitions');
    expect(field({ maxDisorderNs: -1n })?.[0]).toBe('source.maxDisorder');
    expect(field({ onDisorder: 'drop' })?.[0]).toBe('source.onDisorder');
    expect(field({ sasl: { mechanism: 'gssapi', username: 'u', password: 'p' } })?.[0]).toBe(
      'source.sasl.mechanism',
    );
    expect(field({ ssl: { cert: '/c.pem' } })?.[1]).toMatch(/both cert and key/);
    expect(field({ mapping: { schemaKey: { from: 'constant', value: '' } } })?.[0]).toBe(
      'source.mapping.schemaKey.value',
    );
    expect(
      field({
        mapping: { schemaKey: constant, eventTime: { from: 'header', name: 'ts', unit: 'min' } },
      })?.[0],
    ).toBe('source.mapping.eventTime.unit');
    expect(
      field({ mapping: { schemaKey: constant, eventTime: { from: 'payload', path: '$', unit: 'ms' } } })?.[0],
    ).toBe('source.mapping.eventTime.path');
    expect(field({ mapping: { schemaKey: constant, key: { from: 'value' } } })?.[0]).toBe(
      'source.mapping.key.from',
    );
  });
});
