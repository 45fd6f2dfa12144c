import type { TimeCodec, TimeKind } from './time.js';

export type IdKind = 'text' | 'uuid' | 'integer';
/** How a column's text form becomes bytes: utf8 text (json/jsonb/text) or bytea hex. */
export type BytesKind = 'text' | 'json' | 'bytea';

export interface ColumnMeta {
  name: string;
  /** quote_ident form, safe to splice into SQL. */
  quoted: string;
  /** format_type(), for messages. */
  type: string;
  /** Base type name (domains resolved), e.g. `int8`, `timestamptz`. */
  base: string;
  attnum: number;
  /** Declared NOT NULL (always false for a view's columns). */
  notNull: boolean;
}

export interface TableMeta {
  oid: number;
  relkind: string;
  /** Schema-qualified, quote_ident'ed: safe in SQL and readable in messages. */
  quoted: string;
  relname: string;
  partition: ColumnMeta;
  eventTime: ColumnMeta & { kind: TimeKind; codec: TimeCodec };
  /** `castTo` keeps comparisons in the native type (bigint ids order numerically) and index-usable. */
  eventId: ColumnMeta & { kind: IdKind; castTo: string };
  key: ColumnMeta & { kind: BytesKind };
  payload: ColumnMeta & { kind: BytesKind };
  schemaKey: (ColumnMeta & { kind: 'text' }) | { value: string };
  /** Declaratively LIST-partitioned by the partition column (each partition in its own heap). */
  listPartitioned: boolean;
  /**
   * The database's server encoding is SQL_ASCII: text is stored as arbitrary bytes and reaches
   * us unconverted, so text payloads/ids are checked for valid UTF-8 (poison otherwise).
   */
  sqlAscii: boolean;
}
