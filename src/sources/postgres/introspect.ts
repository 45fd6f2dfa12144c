/**
 * Reads the catalog once at startup: resolves the table (server-side parsing via to_regclass, so
 * `archive.events` and `"Mixed"."Case"` both work), the configured columns and their base types
 * (domains resolved; works for views), and whether the table is LIST-partitioned by the partition
 * column. Anything unusable is a ConfigError naming the field, the object and the fix.
 */
import type pg from 'pg';
import { ConfigError } from '../../common/errors.js';
import { columnField, type PostgresSourceOptions } from './options.js';
import { type TimeKind, timeCodec } from './time.js';
import type { BytesKind, ColumnMeta, IdKind, TableMeta } from './types.js';

const textish = new Set(['text', 'varchar', 'bpchar']);
const integers = new Set(['int2', 'int4', 'int8']);
/**
 * What `to_regclass` raises for a name it cannot parse: invalid_name 42602, syntax_error 42601
 * (too many dotted names), feature_not_supported 0A000 (cross-database reference),
 * invalid_schema_name 3F000, undefined_table 42P01.
 */
const tableNameStates = new Set(['42602', '42601', '0A000', '3F000', '42P01']);

interface RelRow {
  oid: string;
  relkind: string;
  relname: string;
  quoted: string;
}
interface AttRow {
  attnum: number;
  attname: string;
  quoted: string;
  type: string;
  base: string;
  notnull: boolean;
}

async function resolveTable(db: pg.Pool, table: string): Promise<RelRow> {
  let rows: RelRow[];
  try {
    ({ rows } = await db.query<RelRow>(
      `SELECT c.oid::text AS oid, c.relkind, c.relname,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS quoted
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.oid = to_regclass($1)`,
      [table],
    ));
  } catch (e) {
    // Only the server rejecting the name itself is bad input; a connection failure here (the
    // first query of the source) is reported by createPostgresSource as an outage.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && tableNameStates.has(code)) {
      throw new ConfigError(
        'source.table',
        `"${table}" is not a valid table name (${(e as Error).message}).`,
        {
          cause: e,
        },
      );
    }
    throw e;
  }
  const rel = rows[0];
  if (!rel) {
    throw new ConfigError(
      'source.table',
      `table or view "${table}" does not exist in this database (or is not on the search_path). ` +
        'Check the name, qualify it with its schema ("archive.events"), or check source.url points at the right database.',
    );
  }
  if (!['r', 'p', 'v', 'm', 'f'].includes(rel.relkind)) {
    throw new ConfigError('source.table', `${rel.quoted} is not a table or view (relkind ${rel.relkind}).`);
  }
  return rel;
}

function pick(atts: AttRow[], rel: RelRow, name: string, field: string): ColumnMeta {
  const a = atts.find((x) => x.attname === name) ?? atts.find((x) => x.attname === name.toLowerCase());
  if (!a) {
    throw new ConfigError(
      field,
      `column "${name}" does not exist in ${rel.quoted} (columns: ${atts.map((x) => x.attname).join(', ')}). ` +
        `Set ${field} to one of them.`,
    );
  }
  return {
    name: a.attname,
    quoted: a.quoted,
    type: a.type,
    base: a.base,
    attnum: a.attnum,
    notNull: a.notnull,
  };
}

function unsupported(field: string, rel: RelRow, c: ColumnMeta, supported: string): ConfigError {
  return new ConfigError(
    field,
    `column ${c.quoted} of ${rel.quoted} has type ${c.type}, which the Postgres source cannot read here. ` +
      `Supported: ${supported}. Point ${field} at such a column, or expose one through a view with a cast.`,
  );
}

function bytesKind(c: ColumnMeta, allowJson: boolean): BytesKind | undefined {
  if (textish.has(c.base)) return 'text';
  if (c.base === 'bytea') return 'bytea';
  if (allowJson && (c.base === 'jsonb' || c.base === 'json')) return 'json';
  return undefined;
}

export async function introspect(db: pg.Pool, o: PostgresSourceOptions): Promise<TableMeta> {
  const rel = await resolveTable(db, o.table);
  const { rows: atts } = await db.query<AttRow>(
    `SELECT a.attnum::int AS attnum, a.attname, quote_ident(a.attname) AS quoted,
            format_type(a.atttypid, a.atttypmod) AS type, bt.typname AS base,
            a.attnotnull AS notnull
       FROM pg_attribute a
       JOIN pg_type t ON t.oid = a.atttypid
       JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`,
    [rel.oid],
  );
  const col = (k: keyof typeof columnField, name: string) => pick(atts, rel, name, columnField[k]);

  const partition = col('partition', o.columns.partition);
  if (!integers.has(partition.base)) {
    throw unsupported(columnField.partition, rel, partition, 'smallint, integer, bigint');
  }

  const et = col('eventTime', o.columns.eventTime);
  let kind: TimeKind;
  if (et.base === 'timestamptz' || et.base === 'timestamp') kind = et.base;
  else if (integers.has(et.base)) kind = 'integer';
  else if (et.base === 'numeric') kind = 'numeric';
  else {
    throw unsupported(
      columnField.eventTime,
      rel,
      et,
      'timestamptz, timestamp (read as UTC), smallint/integer/bigint/numeric epoch with source.event_time_unit',
    );
  }
  if ((kind === 'integer' || kind === 'numeric') && o.eventTimeUnit === undefined) {
    throw new ConfigError(
      'source.event_time_unit',
      `${columnField.eventTime} (${et.quoted} of ${rel.quoted}) is a ${et.type} epoch; set source.event_time_unit ` +
        'to its unit: s, ms, us or ns.',
    );
  }

  const id = col('eventId', o.columns.eventId);
  let idKind: IdKind;
  if (textish.has(id.base)) idKind = 'text';
  else if (id.base === 'uuid') idKind = 'uuid';
  else if (integers.has(id.base)) idKind = 'integer';
  else throw unsupported(columnField.eventId, rel, id, 'text, varchar, uuid, smallint, integer, bigint');

  const key = col('key', o.columns.key);
  const keyKind = bytesKind(key, false);
  if (!keyKind) throw unsupported(columnField.key, rel, key, 'text, varchar, bytea');

  const payload = col('payload', o.columns.payload);
  const payloadKind = bytesKind(payload, true);
  if (!payloadKind) throw unsupported(columnField.payload, rel, payload, 'jsonb, json, text, varchar, bytea');

  let schemaKey: TableMeta['schemaKey'];
  const sk = o.columns.schemaKey;
  if (typeof sk === 'string') {
    const c = col('schemaKey', sk);
    if (!textish.has(c.base)) throw unsupported(columnField.schemaKey, rel, c, 'text, varchar');
    schemaKey = { ...c, kind: 'text' };
  } else {
    schemaKey = { value: sk.value };
  }

  const { rows: pt } = await db.query<{ partstrat: string; attrs: number[] }>(
    'SELECT partstrat, partattrs::int2[] AS attrs FROM pg_partitioned_table WHERE partrelid = $1::oid',
    [rel.oid],
  );
  const listPartitioned =
    pt[0]?.partstrat === 'l' && pt[0].attrs.length === 1 && pt[0].attrs[0] === partition.attnum;

  const { rows: enc } = await db.query<{ e: string }>("SELECT current_setting('server_encoding') AS e");
  const sqlAscii = enc[0]?.e === 'SQL_ASCII';
  if (
    sqlAscii &&
    o.readMethod === 'cursor' &&
    (keyKind === 'text' || payloadKind === 'text' || idKind === 'text')
  ) {
    throw new ConfigError(
      'source.read_method',
      `the database of ${rel.quoted} uses server encoding SQL_ASCII, so its text columns hold raw bytes that the ` +
        'cursor method would decode lossily (invalid UTF-8 becomes U+FFFD). Use read_method "copy" (the default), ' +
        'which keeps the exact bytes and reports text payloads that are not UTF-8 as poison rows.',
    );
  }

  return {
    oid: Number(rel.oid),
    relkind: rel.relkind,
    quoted: rel.quoted,
    relname: rel.relname,
    partition,
    eventTime: { ...et, kind, codec: timeCodec(kind, o.eventTimeUnit) },
    eventId: { ...id, kind: idKind, castTo: idKind === 'integer' ? 'int8' : id.base },
    key: { ...key, kind: keyKind },
    payload: { ...payload, kind: payloadKind },
    schemaKey,
    listPartitioned,
    sqlAscii,
  };
}
