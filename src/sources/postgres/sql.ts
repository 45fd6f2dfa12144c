/**
 * SQL text for every query the source runs. Identifiers come quoted from the catalog
 * (quote_ident); values are bound as parameters (cursor method, catalog queries) or inlined as
 * escaped literals with an explicit cast (COPY cannot take parameters; EXPLAIN shows the plan for
 * these exact values). Either way comparisons happen in the column's native type, so the composite
 * index (partition, event_time, event_id) serves the keyset scan.
 */

import { escapeLiteral } from 'pg';
import { unreachable } from '../../common/errors.js';
import type { SourcePosition, TimeWindow } from '../source.js';
import type { TableMeta } from './types.js';

export type BindMode = 'params' | 'inline';

export interface BuiltQuery {
  text: string;
  values: string[];
}

class Binder {
  readonly values: string[] = [];
  constructor(private readonly mode: BindMode) {}
  add(value: string, cast: string): string {
    if (this.mode === 'inline') return `${escapeLiteral(value)}::${cast}`;
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

function partitionLiteral(p: number): string {
  if (!Number.isSafeInteger(p)) throw new RangeError(`partition must be an integer (got ${p})`);
  return String(p);
}

/** Predicates of the window [start, end) in the native time type (rounded so ns semantics hold). */
function windowConds(m: TableMeta, b: Binder, w: TimeWindow): string[] {
  const c = m.eventTime.codec;
  const et = m.eventTime.quoted;
  // t*unit >= start ⟺ t >= ceil(start/unit); t*unit < end ⟺ t < ceil(end/unit)
  return [
    `${et} >= ${b.add(c.format(w.startNs, 'ceil').text, c.sqlType)}`,
    `${et} < ${b.add(c.format(w.endNs, 'ceil').text, c.sqlType)}`,
  ];
}

export function selectColumns(m: TableMeta): string[] {
  const cols = [m.eventTime.quoted, m.eventId.quoted, m.key.quoted, m.payload.quoted];
  if ('quoted' in m.schemaKey) cols.push(m.schemaKey.quoted);
  return cols;
}

/** Column names in `selectColumns` order (keys of a poison row's `raw`). */
export function selectColumnNames(m: TableMeta): string[] {
  const names = [m.eventTime.name, m.eventId.name, m.key.name, m.payload.name];
  if ('quoted' in m.schemaKey) names.push(m.schemaKey.name);
  return names;
}

/**
 * Rows at exactly the resume time `from.tsNs` whose event id is NULL (values inlined: read by COPY). The keyset comparison
 * `(et, id) > (t, id)` is NULL for them, so the main scan never returns them; this probe (one
 * index lookup, `id IS NULL` is an index condition on the composite index) reads them once, on
 * each resume at an exact position, and the reader releases them where they sort (NULLS LAST).
 * Kept out of the main scan on purpose: an `OR id IS NULL` there turns the row comparison from
 * an index condition into a per-row filter.
 */
export function nullIdsAtQuery(
  m: TableMeta,
  partition: number,
  from: SourcePosition,
  window: TimeWindow,
): BuiltQuery | null {
  const c = m.eventTime.codec;
  const pos = c.format(from.tsNs, 'floor');
  if (!pos.exact) return null; // no row can sit exactly at a position between representable times
  const b = new Binder('inline');
  const conds = [
    `${m.partition.quoted} = ${partitionLiteral(partition)}`,
    `${m.eventTime.quoted} = ${b.add(pos.text, c.sqlType)}`,
    `${m.eventId.quoted} IS NULL`,
    ...windowConds(m, b, window),
  ];
  return {
    text: `SELECT ${selectColumns(m).join(', ')} FROM ${m.quoted} WHERE ${conds.join(' AND ')}`,
    values: b.values,
  };
}

/**
 * Rows of one partition whose event time is NULL (outside every window, so never read). With the
 * composite index (partition, event_time, event_id) this is an index-only range of NULLs.
 */
export function nullTimesQuery(m: TableMeta, partition: number): string {
  return `SELECT count(*)::text AS n FROM ${m.quoted} WHERE ${m.partition.quoted} = ${partitionLiteral(partition)} AND ${m.eventTime.quoted} IS NULL`;
}

/** The keyset scan of one partition, strictly after `from`, inside `window`. */
export function readQuery(
  m: TableMeta,
  partition: number,
  from: SourcePosition | null,
  window: TimeWindow,
  mode: BindMode,
): BuiltQuery {
  const b = new Binder(mode);
  const et = m.eventTime.quoted;
  const id = m.eventId.quoted;
  const conds = [`${m.partition.quoted} = ${partitionLiteral(partition)}`];
  if (from) {
    const c = m.eventTime.codec;
    const pos = c.format(from.tsNs, 'floor');
    conds.push(
      pos.exact
        ? `(${et}, ${id}) > (${b.add(pos.text, c.sqlType)}, ${b.add(from.eventId, m.eventId.castTo)})`
        : // a position between two representable times: every row after it is strictly later
          `${et} > ${b.add(pos.text, c.sqlType)}`,
    );
  }
  conds.push(...windowConds(m, b, window));
  const text = `SELECT ${selectColumns(m).join(', ')} FROM ${m.quoted} WHERE ${conds.join(' AND ')} ORDER BY ${et}, ${id}`;
  return { text, values: b.values };
}

export function copyOut(select: string): string {
  return `COPY (${select}) TO STDOUT`;
}

/** First/last event time (text) in the window: two LIMIT 1 walks of the index, not a scan. */
export function boundsQuery(m: TableMeta, partition: number, window: TimeWindow): BuiltQuery {
  const b = new Binder('params');
  const where = [`${m.partition.quoted} = ${partitionLiteral(partition)}`, ...windowConds(m, b, window)].join(
    ' AND ',
  );
  const et = m.eventTime.quoted;
  // The text output is aliased: unaliased, `event_time::text` keeps the name `event_time`, and
  // ORDER BY would sort by that text — a sequential scan and sort of the partition (~7 s per
  // partition of a 10M-row table) instead of one index probe.
  const one = (dir: string) =>
    `(SELECT ${et}::text AS bound FROM ${m.quoted} WHERE ${where} ORDER BY ${et} ${dir} LIMIT 1)`;
  return { text: `SELECT ${one('ASC')} AS first, ${one('DESC')} AS last`, values: b.values };
}

export function countQuery(m: TableMeta, partition: number, window: TimeWindow): BuiltQuery {
  const b = new Binder('params');
  const where = [`${m.partition.quoted} = ${partitionLiteral(partition)}`, ...windowConds(m, b, window)];
  return {
    text: `SELECT count(*)::text AS n FROM ${m.quoted} WHERE ${where.join(' AND ')}`,
    values: b.values,
  };
}

/**
 * Distinct partition ids by a loose index scan: one index probe per distinct value (a recursive
 * CTE), instead of SELECT DISTINCT reading every row of a big table.
 */
export function distinctPartitionsQuery(m: TableMeta): string {
  const p = m.partition.quoted;
  return `WITH RECURSIVE d AS (
    (SELECT ${p} AS v FROM ${m.quoted} WHERE ${p} IS NOT NULL ORDER BY ${p} LIMIT 1)
    UNION ALL
    SELECT (SELECT ${p} FROM ${m.quoted} WHERE ${p} > d.v ORDER BY ${p} LIMIT 1) FROM d WHERE d.v IS NOT NULL
  ) SELECT v::int8::text AS v FROM d WHERE v IS NOT NULL`;
}

/**
 * Column positions of the routing check's rows (`routingQuery`). Besides (partition, key, id) a
 * row carries what the poison screen needs without shipping payloads: the payload's byte length
 * (NULL iff the payload is NULL) and whether the schema-key column is NULL. Only a SQL_ASCII
 * database with a text payload ships the payload itself, because whether its bytes are UTF-8
 * cannot be asked in SQL there (a conversion error would fail the whole query).
 */
export interface RoutingLayout {
  columns: number;
  partition: 0;
  key: 1;
  eventId: 2;
  payloadBytes: 3;
  /** `t`/`f`; absent when the schema key is a constant. */
  schemaKeyNull?: number;
  /** The payload bytes, for the UTF-8 check (SQL_ASCII text payloads only). */
  payload?: number;
}

export function routingLayout(m: TableMeta): RoutingLayout {
  const l: RoutingLayout = { columns: 4, partition: 0, key: 1, eventId: 2, payloadBytes: 3 };
  if ('quoted' in m.schemaKey) l.schemaKeyNull = l.columns++;
  if (m.sqlAscii && m.payload.kind === 'text') l.payload = l.columns++;
  return l;
}

/**
 * The routing check's rows in the window (streamed with COPY), columns as in `routingLayout`.
 * The payload length is the byte length of what is sent: the text form for json/jsonb, the raw
 * bytes for bytea, and for text/varchar its length in the server encoding (exact for UTF8 and
 * SQL_ASCII servers; for other encodings the client's UTF-8 form may differ a little). For text
 * and bytea `octet_length` reads the stored length without detoasting; json/jsonb go through
 * their output function (jsonb is rendered): measured +0.6 s per 1M-row sample of ~100-byte jsonb
 * documents (COPY 0.45 s → 1.1 s), still far less than shipping the payloads.
 */
export function routingQuery(
  m: TableMeta,
  partitions: 'all' | number[],
  window: TimeWindow,
  limit: number | undefined,
): string {
  const b = new Binder('inline');
  const conds = windowConds(m, b, window);
  if (partitions !== 'all') {
    conds.push(`${m.partition.quoted} IN (${partitions.map(partitionLiteral).join(', ') || 'NULL'})`);
  }
  const lim = limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(limit))}`;
  const pl = m.payload.quoted;
  const cols = [
    m.partition.quoted,
    m.key.quoted,
    m.eventId.quoted,
    `octet_length(${m.payload.kind === 'json' ? `${pl}::text` : pl})`,
  ];
  // Same order as routingLayout: the schema-key flag, then the payload.
  if ('quoted' in m.schemaKey) cols.push(`${m.schemaKey.quoted} IS NULL`);
  if (routingLayout(m).payload !== undefined) cols.push(pl);
  return copyOut(`SELECT ${cols.join(', ')} FROM ${m.quoted} WHERE ${conds.join(' AND ')}${lim}`);
}

/** Representative smallest id in the native type, for EXPLAIN of the resume form. */
export function minimalId(m: TableMeta): string {
  const k = m.eventId.kind;
  switch (k) {
    case 'text':
      return '';
    case 'uuid':
      return '00000000-0000-0000-0000-000000000000';
    case 'integer':
      return '-9223372036854775808';
    default: {
      return unreachable(k, 'id kind');
    }
  }
}
