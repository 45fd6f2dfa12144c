/** Pure parts: COPY text splitting, SQLSTATE classification, options, time codecs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, ReplayError } from '../../../src/common/errors.js';
import {
  CopyTextSplitter,
  classifyPgError,
  formatPgTimestamp,
  parsePgTimestamp,
  resolvePostgresOptions,
  timeCodec,
} from '../../../src/sources/postgres/index.js';

const base = {
  url: 'postgres://127.0.0.1/x',
  table: 't',
  columns: { partition: 'p', eventTime: 't', eventId: 'i', key: 'k', payload: 'v', schemaKey: 's' },
  partitions: 'all' as const,
  ceptraPartitions: 3,
};

/** COPY text escaping as Postgres writes it (CopyAttributeOutText). */
const copyEscape = (b: Buffer | null): string =>
  b === null
    ? '\\N'
    : b
        .toString('latin1')
        .replace(/\\/g, '\\\\')
        .replace(/\n/g, '\\n')
        .replace(/\t/g, '\\t')
        .replace(/\r/g, '\\r')
        .replaceAll(String.fromCharCode(8), '\\b')
        .replace(/\f/g, '\\f')
        .replace(/\v/g, '\\v');

describe('COPY text splitter', () => {
  it('unescapes every form and handles NULL', () => {
    const rows: (Buffer | null)[][] = [];
    const s = new CopyTextSplitter(4);
    s.push(Buffer.from('a\\tb\\nc\\\\d\t\\N\t\\101\\x42\\r\\b\\f\\v\t\\\\x0aff\n', 'latin1'), (r) =>
      rows.push(r),
    );
    s.finish();
    expect(rows).toHaveLength(1);
    expect(rows[0]![0]!.toString()).toBe('a\tb\nc\\d');
    expect(rows[0]![1]).toBeNull();
    expect(rows[0]![2]!.toString('latin1')).toBe('AB\r\b\f\v');
    expect(rows[0]![3]!.toString()).toBe('\\x0aff');
  });

  it('property: any rows, split at any chunk boundaries, round-trip', () => {
    const field = fc.option(
      fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
      { nil: null },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(field, field, field), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (rows, cuts) => {
          const text = Buffer.from(rows.map((r) => `${r.map(copyEscape).join('\t')}\n`).join(''), 'latin1');
          const points = [...new Set(cuts.map((c) => (text.length ? c % text.length : 0)))].sort(
            (a, b) => a - b,
          );
          const got: (Buffer | null)[][] = [];
          const s = new CopyTextSplitter(3);
          let prev = 0;
          for (const p of [...points, text.length]) {
            s.push(text.subarray(prev, p), (r) => got.push(r.map((f) => (f ? Buffer.from(f) : null))));
            prev = p;
          }
          s.finish();
          expect(got.map((r) => r.map((f) => f?.toString('hex') ?? null))).toEqual(
            rows.map((r) => r.map((f) => f?.toString('hex') ?? null)),
          );
        },
      ),
    );
  });

  it('detects a truncated stream and a wrong field count', () => {
    const s = new CopyTextSplitter(2);
    s.push(Buffer.from('a\tb\nc'), () => undefined);
    expect(() => s.finish()).toThrow(/inside a row/);
    expect(() => new CopyTextSplitter(2).push(Buffer.from('a\n'), () => undefined)).toThrow(
      /1 fields, expected 2/,
    );
  });
});

describe('classifyPgError', () => {
  const pgErr = (code: string) => Object.assign(new Error(`boom ${code}`), { code });
  it.each([
    ['08006', true],
    ['08001', true],
    ['57P01', true],
    ['57P02', true],
    ['57P03', true],
    ['40001', true],
    ['40P01', true],
    ['53300', true],
    ['55P03', true],
    ['42P01', false],
    ['42703', false],
    ['28P01', false],
    ['22P02', false],
    ['XX000', false],
    ['99999', false],
  ])('%s -> canRetry %s', (code, retry) => {
    const e = classifyPgError(pgErr(code));
    expect(e).toBeInstanceOf(ReplayError);
    expect(e.code).toBe('SOURCE_ERROR');
    expect(e.canRetry).toBe(retry);
    expect(e.details).toMatchObject({ sqlstate: code });
    expect(e.message).toContain(code);
    expect(e.cause).toBeInstanceOf(Error);
  });

  it('treats socket failures as retryable and passes ReplayErrors through', () => {
    expect(classifyPgError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })).canRetry).toBe(true);
    expect(classifyPgError(new Error('Connection terminated unexpectedly')).canRetry).toBe(true);
    expect(classifyPgError(new Error('something else')).canRetry).toBe(false);
    const c = new ConfigError('source.table', 'x');
    expect(classifyPgError(c)).toBe(c);
  });
});

describe('options', () => {
  it('applies defaults and freezes', () => {
    const o = resolvePostgresOptions(base);
    expect(o).toMatchObject({
      readMethod: 'copy',
      fetchRows: 10_000,
      allowSort: false,
      routingPolicy: 'fail',
    });
    expect(Object.isFrozen(o)).toBe(true);
  });
  it.each([
    [{ ceptraPartitions: 0 }, 'source.ceptra_partitions'],
    [{ partitions: [1, -1] }, 'source.partitions'],
    [{ fetchRows: 0 }, 'source.fetch_rows'],
    [{ eventTimeUnit: 'min' }, 'source.event_time_unit'],
    [{ columns: { ...base.columns, eventId: '' } }, 'source.columns.event_id'],
    [{ columns: { ...base.columns, schemaKey: { value: '' } } }, 'source.columns.schema_key'],
  ])('rejects %j', (patch, field) => {
    expect(() => resolvePostgresOptions({ ...base, ...(patch as object) })).toThrow(
      expect.objectContaining({ field }),
    );
  });
});

describe('time codecs', () => {
  it('timestamp text round-trips at µs for any instant in ±4000 years', () => {
    const c = timeCodec('timestamptz', undefined);
    fc.assert(
      fc.property(fc.bigInt({ min: -188_000_000_000_000_000n, max: 64_000_000_000_000_000n }), (us) => {
        const ns = us * 1000n;
        const f = c.format(ns, 'floor');
        expect(f.exact).toBe(true);
        expect(parsePgTimestamp(f.text)).toBe(ns);
      }),
    );
    expect(formatPgTimestamp(-1n, true)).toBe('1969-12-31 23:59:59.999999+00');
    expect(parsePgTimestamp('2024-01-01 00:00:00+05:30')).toBe(1_704_047_400_000_000_000n);
    expect(() => parsePgTimestamp('infinity')).toThrow(RangeError);
  });

  it('integer epochs round window bounds so ns semantics hold', () => {
    const c = timeCodec('integer', 'ms');
    expect(c.parse('-5')).toBe(-5_000_000n);
    expect(c.format(1_500_000n, 'ceil')).toEqual({ text: '2', exact: false });
    expect(c.format(-1_500_000n, 'ceil')).toEqual({ text: '-1', exact: false });
    expect(c.format(-1_500_000n, 'floor')).toEqual({ text: '-2', exact: false });
    expect(c.format(2_000_000n, 'floor')).toEqual({ text: '2', exact: true });
  });
});
