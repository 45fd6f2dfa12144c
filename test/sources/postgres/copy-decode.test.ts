/**
 * The single-pass COPY decoder (copy-decode.ts) against two references, on random rows cut into
 * random chunks: a straightforward parser (split on newlines and tabs, unescape with a regex) for
 * the events, and the row-of-Buffers path (`CopyTextSplitter` + decode.ts `copy`) for everything:
 * events, poison rows (reason, raw text, bytes) and their positions, and stream errors.
 */

import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../../src/sources/postgres/batcher.js';
import { CopyEventDecoder } from '../../../src/sources/postgres/copy-decode.js';
import { CopyTextSplitter } from '../../../src/sources/postgres/copy-text.js';
import { rowDecoder } from '../../../src/sources/postgres/decode.js';
import {
  formatPgTimestamp,
  parsePgTimestamp,
  type TableMeta,
  timeCodec,
} from '../../../src/sources/postgres/index.js';
import { type TimeKind, usToNs } from '../../../src/sources/postgres/time.js';
import type { BytesKind, IdKind } from '../../../src/sources/postgres/types.js';

interface Shape {
  time: TimeKind;
  id: IdKind;
  key: BytesKind;
  payload: BytesKind;
  /** A constant schema key (4 columns) instead of a column. */
  constant: boolean;
  sqlAscii: boolean;
}

const col = (name: string) => ({ name, quoted: name, type: 'x', base: 'x', attnum: 1, notNull: false });

function meta(s: Shape): TableMeta {
  return {
    oid: 1,
    relkind: 'r',
    quoted: 'ev',
    relname: 'ev',
    partition: col('part'),
    eventTime: { ...col('et'), kind: s.time, codec: timeCodec(s.time, 'us') },
    eventId: { ...col('id'), kind: s.id, castTo: 'text' },
    key: { ...col('k'), kind: s.key },
    payload: { ...col('payload'), kind: s.payload },
    schemaKey: s.constant ? { value: 'const:1' } : { ...col('schema'), kind: 'text' },
    listPartitioned: false,
    sqlAscii: s.sqlAscii,
  };
}

/** COPY text escaping as Postgres writes it (CopyAttributeOutText), on latin1 strings. */
const pgEscape = (s: string): string =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/\r/g, '\\r')
    .replaceAll('\b', '\\b')
    .replace(/\f/g, '\\f')
    .replace(/\v/g, '\\v');

// ---- the straightforward reference parser ----

const named: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
const unescapeRef = (f: string): string =>
  f.replace(/\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/gs, (_, e: string) => {
    if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8) & 0xff);
    if (e.length > 1) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return named[e] ?? e;
  });

/** Fields of a row: split on tabs, except a tab right after a backslash (an escaped byte). */
function splitRef(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\' && i + 1 < line.length) cur += line[i]! + line[++i]!;
    else if (line[i] === '\t') {
      fields.push(cur);
      cur = '';
    } else cur += line[i];
  }
  fields.push(cur);
  return fields;
}

interface RefEvent {
  tsNs: bigint;
  eventId: string;
  key: string;
  payload: string;
  schemaKey: string;
}

/** Events of a COPY text (no raw newline inside a field, as Postgres writes it); poison rows dropped. */
function referenceEvents(text: Buffer, s: Shape): RefEvent[] {
  const bytes = (kind: BytesKind, f: string) =>
    (kind === 'bytea' ? Buffer.from(f.slice(2), 'hex') : Buffer.from(f, 'latin1')).toString('hex');
  const out: RefEvent[] = [];
  for (const line of text.toString('latin1').split('\n').slice(0, -1)) {
    const f = splitRef(line).map((x) => (x === '\\N' ? null : unescapeRef(x)));
    const [t, id, k, p] = f;
    const sk = s.constant ? 'const:1' : f[4]!;
    const utf8 = (x: string) => Buffer.from(x, 'latin1').toString('utf8');
    const validUtf8 = (x: string) => Buffer.from(utf8(x), 'utf8').equals(Buffer.from(x, 'latin1'));
    if (id === null || id === '' || k === null || p === null || sk === null) continue;
    if (s.sqlAscii && s.id === 'text' && !validUtf8(id)) continue;
    if (s.sqlAscii && s.payload === 'text' && !validUtf8(p)) continue;
    out.push({
      tsNs: timeCodec(s.time, 'us').parse(t!),
      eventId: utf8(id),
      key: bytes(s.key, k),
      payload: bytes(s.payload, p),
      schemaKey: utf8(sk),
    });
  }
  return out;
}

// ---- random rows ----

/** Bytes that matter to COPY text (tab, newline, backslash, `N`, `x`, digits), UTF-8 and not. */
const byteArb = fc.constantFrom(
  ...[0x09, 0x0a, 0x0d, 0x08, 0x0c, 0x0b, 0x5c, 0x4e, 0x78, 0x30, 0x37, 0x39, 0x61, 0x7b, 0x22, 0x20],
  ...[0xc3, 0xa9, 0xe2, 0x9c, 0x93, 0xff],
);
const rawArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.array(byteArb, { maxLength: 12 }).map((a) => Buffer.from(a).toString('latin1')),
  },
  {
    weight: 2,
    arbitrary: fc.stringMatching(/^[a-z0-9:{}" ,é✓-]{0,40}$/).map((x) => Buffer.from(x).toString('latin1')),
  },
);
/** Escapes Postgres never writes but COPY text allows (octal, hex, any escaped byte), bytea-like text. */
const escapeTokens = [
  '\\xff',
  '\\303',
  '\\101',
  '\\x42',
  '\\7',
  '\\x4',
  '\\.',
  '\\x',
  '\\q',
  'a',
  'Z',
  '1',
  '\\\\x0a',
  '\\\t',
  '\\\\',
];
/** A field's COPY text: NULL, Postgres' escaping of a value, or an escape Postgres never writes. */
const fieldArb = (bytea: boolean) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constant('\\N') },
    {
      weight: 6,
      arbitrary: rawArb.map((v) => pgEscape(bytea ? `\\x${Buffer.from(v, 'latin1').toString('hex')}` : v)),
    },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.constantFrom(...escapeTokens), { minLength: 1, maxLength: 6 })
        .map((t) => t.join('')),
    },
  );
/** Timestamps in the forms a UTC/ISO session prints, and some the fast path leaves to the string parser. */
const timeArb = (kind: TimeKind) =>
  kind === 'integer'
    ? fc.oneof(fc.integer().map(String), fc.bigInt({ min: -(2n ** 62n), max: 2n ** 62n }).map(String))
    : kind === 'numeric'
      ? fc.constantFrom('-1.5', '1700000000.123456789', '0', '12')
      : fc
          .tuple(fc.bigInt({ min: -100_000_000_000_000_000n, max: 250_000_000_000_000_000n }), fc.nat(6))
          .map(([us, trim]) => {
            const t = formatPgTimestamp(us, kind === 'timestamptz');
            // Postgres drops trailing zeros of the fraction (and the dot when nothing is left).
            return t.replace(/\.(\d{6})/, (_, f: string) => {
              const kept = f.slice(0, 6 - trim).replace(/0+$/, '');
              return kept ? `.${kept}` : '';
            });
          });

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  time: fc.constantFrom<TimeKind>('timestamptz', 'timestamp', 'integer', 'numeric'),
  id: fc.constantFrom<IdKind>('text', 'integer'),
  key: fc.constantFrom<BytesKind>('text', 'bytea'),
  payload: fc.constantFrom<BytesKind>('json', 'text', 'bytea'),
  constant: fc.boolean(),
  sqlAscii: fc.boolean(),
});

const caseArb = shapeArb.chain((s) =>
  fc.record({
    shape: fc.constant(s),
    rows: fc.array(
      fc.tuple(
        timeArb(s.time),
        s.id === 'integer' ? fc.oneof(fc.integer().map(String), fc.constant('\\N')) : fieldArb(false),
        fieldArb(s.key === 'bytea'),
        fieldArb(s.payload === 'bytea'),
        fc.oneof(fc.constantFrom('proto:1', 'proto:2', 'x\\\\y', '', '\\N'), fieldArb(false)),
      ),
      { maxLength: 25 },
    ),
    cuts: fc.array(fc.nat(), { maxLength: 10 }),
  }),
);

function copyText(rows: string[][], s: Shape): Buffer {
  const lines = rows.map((r) => `${(s.constant ? r.slice(0, 4) : r).join('\t')}\n`);
  return Buffer.from(lines.join(''), 'latin1');
}

function chunksOf(text: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (text.length ? c % text.length : 0)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, text.length]) {
    // A fresh Buffer per chunk, overwritten once pushed: nothing may keep the caller's chunk.
    out.push(Buffer.from(text.subarray(prev, p)));
    prev = p;
  }
  return out;
}

type Outcome = { events: unknown[]; poison: unknown[] } | { error: string };

const plainEvents = (b: BatchBuilder) =>
  b.events.map((e) => ({ ...e, key: e.key.toString('hex'), payload: e.payload.toString('hex') }));
const plainPoison = (b: BatchBuilder) =>
  b.poison.map((p) => ({ ...p, key: p.key?.toString('hex'), payload: p.payload?.toString('hex') }));

/** The new decoder; `slow` counts the rows it handed to the row-of-Buffers path. */
function decodeNew(m: TableMeta, chunks: Buffer[]): Outcome & { builder?: BatchBuilder; slow?: number } {
  const out = new BatchBuilder(1, Number.MAX_SAFE_INTEGER);
  const reference = rowDecoder(m, m.sqlAscii).copy;
  let slow = 0;
  try {
    const d = new CopyEventDecoder(m, m.sqlAscii, (row, b) => {
      slow++;
      reference(row, b);
    });
    for (const c of chunks) {
      d.push(c, out);
      c.fill(0x21); // the decoder must have copied what it keeps
    }
    d.finish();
  } catch (e) {
    return { error: String(e) };
  }
  return { events: plainEvents(out), poison: plainPoison(out), builder: out, slow };
}

/**
 * Rows that must take the row-of-Buffers path: poison rows, a backslash in the time, id or schema
 * key, escapes in a text payload that must be checked for UTF-8. Every other row is decoded fast.
 */
function slowRows(rows: string[][], s: Shape): number {
  const utf8 = (x: string) => isUtf8(Buffer.from(x, 'latin1'));
  return rows.filter((r) => {
    const [t, id, k, p, sk] = r as [string, string, string, string, string];
    const checkPayload = s.sqlAscii && s.payload === 'text';
    return (
      [t, id, s.constant ? '' : sk].some((f) => f.includes('\\')) ||
      id === '' ||
      k === '\\N' ||
      p === '\\N' ||
      (checkPayload && (p.includes('\\') || !utf8(p))) ||
      (s.sqlAscii && s.id === 'text' && !utf8(id))
    );
  }).length;
}

function decodeOld(m: TableMeta, chunks: Buffer[]): Outcome {
  const out = new BatchBuilder(1, Number.MAX_SAFE_INTEGER);
  try {
    const dec = rowDecoder(m, m.sqlAscii);
    const s = new CopyTextSplitter('value' in m.schemaKey ? 4 : 5);
    for (const c of chunks) s.push(c, (row) => dec.copy(row, out));
    s.finish();
  } catch (e) {
    return { error: String(e) };
  }
  return { events: plainEvents(out), poison: plainPoison(out) };
}

describe('single-pass COPY decoder', () => {
  it('property: equals the reference parser and the row-of-Buffers path, at any chunk boundaries', () => {
    fc.assert(
      fc.property(caseArb, ({ shape, rows, cuts }) => {
        const m = meta(shape);
        const text = copyText(rows, shape);
        const fresh = decodeNew(m, chunksOf(text, cuts));
        const { builder, slow, ...got } = fresh;
        expect(got).toEqual(decodeOld(m, chunksOf(text, cuts)));
        if ('error' in fresh) return;
        expect(slow).toBe(slowRows(rows, shape));
        expect(
          builder!.events.map((e) => ({
            tsNs: e.tsNs,
            eventId: e.eventId,
            key: e.key.toString('hex'),
            payload: e.payload.toString('hex'),
            schemaKey: e.schemaKey,
          })),
        ).toEqual(referenceEvents(text, shape));
      }),
      { numRuns: 400 },
    );
  });

  it('interns schema keys without mixing up values that share a slot', () => {
    const m = meta({
      time: 'integer',
      id: 'integer',
      key: 'text',
      payload: 'json',
      constant: false,
      sqlAscii: false,
    });
    // Over 64 slots: keys of one length differing in one byte ('0' and 'p' hash alike there),
    // and keys that are prefixes of each other; each seen twice.
    const keys = [
      ...Array.from({ length: 200 }, (_, i) => `${i % 2 ? '0' : 'p'}${i >> 1}k`),
      ...Array.from({ length: 200 }, (_, i) => 'k'.repeat(i + 1)),
    ];
    const text = [...keys, ...keys].map((k, i) => `${i}\t${i}\tkey\t{}\t${k}\n`).join('');
    const got = decodeNew(m, [Buffer.from(text)]);
    expect(got.builder!.events.map((e) => e.schemaKey)).toEqual([...keys, ...keys]);
  });

  it('decodes bytea as printed in place, and any other bytea text as before', () => {
    const fields = [
      '\\\\x0a41',
      '\\\\x',
      '\\\\x0a\\101\\x31',
      '\\\\x0a\\\\',
      'ab0a41',
      'ab',
      '\\\\x0aZZ41',
      '\\\\x0a4',
      '\\\\X0a',
      '\\x0a41',
    ];
    for (const constant of [false, true]) {
      const m = meta({
        time: 'integer',
        id: 'text',
        key: 'bytea',
        payload: 'bytea',
        constant,
        sqlAscii: false,
      });
      const text = fields
        .map((f, i) => `${i}\t${i}\t${f}\t${fields[fields.length - 1 - i]}${constant ? '' : '\tproto'}\n`)
        .join('');
      const { builder, slow, ...fresh } = decodeNew(m, [Buffer.from(text, 'latin1')]);
      expect(fresh).toEqual(decodeOld(m, [Buffer.from(text, 'latin1')]));
      expect(builder!.events).toHaveLength(fields.length);
      expect(slow).toBe(0);
      expect(builder!.events[0]!.key).toEqual(Buffer.from([0x0a, 0x41]));
    }
  });

  it('reports stream errors as the splitter did', () => {
    const ok = '2024-01-01 00:00:00+00\ta\tk\t{}\ts\n';
    const four = '2024-01-01 00:00:00+00\ta\tk\t{}\n';
    const cases: [constant: boolean, text: string, valid: boolean][] = [
      [false, `${ok}2024`, false],
      [false, four, false],
      [false, `${four}${ok}`, false],
      [false, '2024-01-01 00:00:00+00\ta\tk\t{}\ts\textra\n', false],
      [false, '2024-01-01 00:00:00+00\ta\\\tk\t{}\ts\n', false],
      [false, '2024-01-01 00:00:00+00\ta\tk\t{}\ts\\\n', false],
      [true, ok, false],
      [true, `2024-01-01 00:00:00+00\ta\tk\n${four}`, false],
      [true, four, true],
      [true, '2024-01-01 00:00:00+00\ta\tk\t{}\\\n', false],
    ];
    for (const [constant, text, valid] of cases) {
      const m = meta({
        time: 'timestamptz',
        id: 'text',
        key: 'text',
        payload: 'json',
        constant,
        sqlAscii: false,
      });
      const { builder, slow, ...fresh } = decodeNew(m, [Buffer.from(text, 'latin1')]);
      expect(fresh).toEqual(decodeOld(m, [Buffer.from(text, 'latin1')]));
      expect(fresh).toHaveProperty(valid ? 'events' : 'error');
    }
  });

  it('reads timestamps from bytes exactly as from text', () => {
    const codec = timeCodec('timestamptz', undefined);
    const forms = fc.oneof(
      fc
        .bigInt({ min: -188_000_000_000_000_000n, max: 64_000_000_000_000_000n })
        .map((us) => formatPgTimestamp(us, true)),
      fc.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{0,8})?([+-]\d{2}(:\d{2})?)?( BC)?$/),
    );
    fc.assert(
      fc.property(forms, fc.nat(3), (t, pad) => {
        const b = Buffer.from(`${'#'.repeat(pad)}${t}\t`, 'latin1');
        expect(codec.parseBytes(b, pad, pad + t.length)).toBe(parsePgTimestamp(t));
      }),
    );
    // The fast path's range (years ~1685..2255), against BigInt arithmetic only.
    fc.assert(
      fc.property(fc.maxSafeInteger(), (us) => {
        expect(usToNs(us)).toBe(BigInt(us) * 1000n);
      }),
    );
    fc.assert(
      fc.property(fc.bigInt({ min: -8_999_999_999_999_999n, max: 8_999_999_999_999_999n }), (us) => {
        const t = formatPgTimestamp(us, true);
        expect(codec.parseBytes(Buffer.from(t), 0, t.length)).toBe(us * 1000n);
        expect(codec.parse(t)).toBe(us * 1000n);
      }),
    );
    const int = timeCodec('integer', 'ms');
    for (const t of ['0', '-0', '12', '-5', '123456789012345', '1234567890123456789', '+5', '']) {
      const b = Buffer.from(t, 'latin1');
      let want: unknown;
      try {
        want = int.parse(t);
      } catch (e) {
        want = String(e);
      }
      let got: unknown;
      try {
        got = int.parseBytes(b, 0, b.length);
      } catch (e) {
        got = String(e);
      }
      expect(got).toEqual(want);
    }
  });
});
