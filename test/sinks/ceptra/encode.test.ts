import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeBatch,
  encodePrefixes,
  encodeSingle,
  hintSuffix,
  parseBatchResponse,
  parseResult,
} from '../../../src/sinks/ceptra/index.js';
import type { SourceEvent } from '../../../src/sources/source.js';

const events: SourceEvent[] = [
  {
    tsNs: 1_700_000_000_123_456_789n,
    eventId: 'id-"quoted"\\1',
    key: Buffer.from([0, 255, 1, 254, 0x2b]),
    payload: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a]),
    schemaKey: 'proto:1.0:abc123',
  },
  {
    tsNs: 18_446_744_073_709_551_615n,
    eventId: 'id-2',
    key: Buffer.from('tenant-42'),
    payload: Buffer.from('{"a":1}\n'),
    schemaKey: 'json:2',
  },
];

const lines = (b: Uint8Array) =>
  Buffer.from(b)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('wire encoding', () => {
  it('round-trips bytes, ts_ns as a decimal string, REPLAY flag and echoed hints (ndjson)', () => {
    const p = encodePrefixes(events, { replayFlag: true });
    const body = encodeBatch(
      p,
      [0, 1],
      hintSuffix('Hold', { client_window_size: 32, retry_backoff_ms: 60 }),
      'ndjson',
    );
    expect(body.at(-1)).toBe(0x0a);
    const decoded = lines(body);
    expect(decoded).toHaveLength(2);
    decoded.forEach((d, i) => {
      const e = events[i]!;
      expect(d.event_id).toBe(e.eventId);
      expect(Buffer.from(d.partition_key_b64 as string, 'base64').equals(e.key)).toBe(true);
      expect(Buffer.from(d.payload_b64 as string, 'base64').equals(e.payload)).toBe(true);
      expect(d.partition_key_b64).toBe(e.key.toString('base64')); // standard alphabet with padding
      expect(d.ts_ns).toBe(e.tsNs.toString());
      expect(typeof d.ts_ns).toBe('string');
      expect(d.schema_key).toBe(e.schemaKey);
      expect(d.flags).toEqual(['REPLAY']);
      expect(d.credit_hint).toBe('Hold');
      expect(d.cep_credit_hint).toEqual({ client_window_size: 32, retry_backoff_ms: 60 });
      expect('replay_stream' in d).toBe(false);
      expect('replay_seq' in d).toBe(false);
    });
  });

  it('omits flags when not replaying and sends null cep_credit_hint before any hint', () => {
    const p = encodePrefixes(events, { replayFlag: false });
    const [d] = lines(encodeBatch(p, [0], hintSuffix('Recover', null), 'ndjson'));
    expect('flags' in d!).toBe(false);
    expect(d!.credit_hint).toBe('Recover');
    expect(d!.cep_credit_hint).toBeNull();
  });

  it('adds replay_stream and contiguous decimal replay_seq when sequencing', () => {
    const p = encodePrefixes(events, {
      replayFlag: true,
      replayStream: 'job/7',
      firstSeq: 9_007_199_254_740_993n,
    });
    const decoded = lines(encodeBatch(p, [0, 1], hintSuffix('Recover', null), 'ndjson'));
    expect(decoded.map((d) => d.replay_stream)).toEqual(['job/7', 'job/7']);
    expect(decoded.map((d) => d.replay_seq)).toEqual(['9007199254740993', '9007199254740994']);
  });

  it('JSON mode wraps {"events":[...]} in the index order given', () => {
    const p = encodePrefixes(events, { replayFlag: true });
    const o = JSON.parse(encodeBatch(p, [1, 0], hintSuffix('Shed', null), 'json').toString()) as {
      events: Array<Record<string, unknown>>;
    };
    expect(o.events.map((e) => e.event_id)).toEqual(['id-2', events[0]!.eventId]);
    expect(o.events.every((e) => e.credit_hint === 'Shed')).toBe(true);
  });

  it('a re-send re-uses byte-identical event fields; only the echo differs', () => {
    const p = encodePrefixes(events, { replayFlag: true, replayStream: 's', firstSeq: 1n });
    const a = lines(encodeBatch(p, [0, 1], hintSuffix('Recover', null), 'ndjson'));
    const b = lines(
      encodeBatch(p, [0, 1], hintSuffix('Hold', { client_window_size: 4, retry_backoff_ms: 1 }), 'ndjson'),
    );
    const strip = (d: Record<string, unknown>) => ({ ...d, credit_hint: 0, cep_credit_hint: 0 });
    expect(b.map(strip)).toEqual(a.map(strip));
  });
});

/** The reference: one JSON.stringify per event, field order as the contract's examples. */
function reference(
  e: SourceEvent,
  i: number,
  ctx: { replayFlag: boolean; replayStream?: string; firstSeq?: bigint },
  suffixObj: Record<string, unknown>,
): string {
  const o: Record<string, unknown> = {
    event_id: e.eventId,
    partition_key_b64: e.key.toString('base64'),
    schema_key: e.schemaKey,
    payload_b64: e.payload.toString('base64'),
    ts_ns: e.tsNs.toString(),
  };
  if (ctx.replayFlag) o.flags = ['REPLAY'];
  if (ctx.replayStream !== undefined && ctx.firstSeq !== undefined) {
    o.replay_stream = ctx.replayStream;
    o.replay_seq = (ctx.firstSeq + BigInt(i)).toString();
  }
  return JSON.stringify({ ...o, ...suffixObj });
}

describe('wire encoding is byte-for-byte JSON.stringify (property)', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }), // any code point, lone surrogates excluded
    fc.constantFrom('', '"', '\\', '\u0000\n\t', 'é€😀', 'evt-000001'),
  );
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 40 }),
    fc.uint8Array({ minLength: 1000, maxLength: 1100 }), // across the native-encoder threshold
  );
  const event = fc.record({
    tsNs: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    eventId: text,
    key: bytes.map((b) => Buffer.from(b)),
    payload: bytes.map((b) => Buffer.from(b)),
    schemaKey: fc.oneof(text, fc.constant('proto:1.0:abc123')),
  });
  const ctx = fc.record(
    {
      replayFlag: fc.boolean(),
      replayStream: text,
      firstSeq: fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
    },
    { requiredKeys: ['replayFlag'] },
  );

  it('batch bodies (ndjson and json, any order of a subset) and single bodies', () => {
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 12 }),
        ctx,
        fc.constantFrom<
          ['Recover' | 'Hold', { client_window_size: number; retry_backoff_ms: number } | null]
        >(['Recover', null], ['Hold', { client_window_size: 32, retry_backoff_ms: 60 }]),
        fc.boolean(),
        (evs, c, [hint, cep], reverse) => {
          const p = encodePrefixes(evs, c);
          const suffix = hintSuffix(hint, cep);
          const suffixObj = { credit_hint: hint, cep_credit_hint: cep };
          const idx = evs.map((_, i) => i).filter((i) => i % 3 !== 1);
          if (reverse) idx.reverse();
          const want = idx.map((i) => reference(evs[i]!, i, c, suffixObj));
          expect(Buffer.from(encodeBatch(p, idx, suffix, 'ndjson')).toString('utf8')).toBe(
            want.map((l) => `${l}\n`).join(''),
          );
          expect(Buffer.from(encodeBatch(p, idx, suffix, 'json')).toString('utf8')).toBe(
            `{"events":[${want.join(',')}]}`,
          );
          for (const [i, e] of evs.entries())
            expect(encodeSingle(p, i, suffix).toString('utf8')).toBe(reference(e, i, c, suffixObj));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('response decoding', () => {
  it('accepts spec spellings, string numbers and unknown fields', () => {
    const r = parseResult(
      {
        event_id: 'x',
        status: 'TRANSIENT_BACKPRESSURE',
        credit_hint: 'HOLD',
        cep_credit_hint: { client_window_size: '16', retry_backoff_ms: '40' },
        cep_status_reason: 'NOT_LEADER:3',
        term: 5,
        index: '18446744073709551615',
        something_new: { a: 1 },
      },
      'x',
    );
    expect(r.status).toBe('TransientBackpressure');
    expect(r.creditHint).toBe('Hold');
    expect(r.cepCreditHint).toEqual({ client_window_size: 16, retry_backoff_ms: 40 });
    expect(r.index).toBe('18446744073709551615');
    expect(r.term).toBe('5');
    expect(r.duplicate).toBe(false);
  });

  it('rejects a result count that does not match the events sent', () => {
    expect(() => parseBatchResponse(JSON.stringify({ results: [] }), ['a'])).toThrow(
      /0 results for 1 events/,
    );
    expect(() => parseBatchResponse('nope', ['a'])).toThrow(/not JSON/);
    expect(() => parseResult({ status: 'Weird' }, 'a')).toThrow(/unknown status/);
  });

  it('reads a duplicate flag when the target adds one', () => {
    expect(parseResult({ status: 'Healthy', duplicate: true }, 'a').duplicate).toBe(true);
  });
});
