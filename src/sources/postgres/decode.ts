/**
 * Row -> SourceEvent (or poison row) for both read methods. Values arrive as text (COPY text or
 * raw text type parsers) and are never parsed beyond what the event needs: payload bytes are the
 * column's text form (json/jsonb/text) or the raw bytea bytes, never JSON.parse'd. Letting pg
 * parse every column measured ~25 µs/row here and halved the read rate (≈40k vs ≈77k rows/s on
 * one stream).
 *
 * Poison rows (never yielded as events, reported with the reason and every column as text):
 * NULL event id, key, payload or schema-key column; an empty event id (`''`: no identity, CEPtra
 * refuses it; an empty key is fine); and, in a SQL_ASCII database only, a text
 * payload or text event id whose bytes are not valid UTF-8 (any other server encoding converts
 * text to valid UTF-8 for us; json/jsonb are validated by Postgres; bytea is always decodable).
 * NULL event times never reach a read: `event_time >= start` is never true for NULL (see
 * `countNullTimes`). The valid-row path costs what it cost before: the NULL checks replace the
 * old `NULL -> empty bytes` checks, and the UTF-8 check (native `isUtf8`) runs only for SQL_ASCII.
 *
 * COPY rows are decoded by copy-decode.ts straight from the chunk; `copy` here (a row of Buffers)
 * is the reference it falls back to for poison rows and anything else out of the ordinary.
 */

import { isUtf8 } from 'node:buffer';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import { type PoisonRow, SourcePoisonReason } from '../source.js';
import type { BatchBuilder } from './batcher.js';
import { CopyEventDecoder } from './copy-decode.js';
import type { CopyRow } from './copy-text.js';
import { selectColumnNames } from './sql.js';
import type { BytesKind, TableMeta } from './types.js';

/** Poison reason of a text event id that is not valid UTF-8 (SQL_ASCII databases). */
export const EVENT_ID_NOT_UTF8 = 'EVENT_ID_NOT_UTF8';

/**
 * A row's poison reason, or null for a valid row. The one order of the checks, shared with the
 * routing check (routing.ts) so `plan` reports the reason `run` dead-letters a row with. Values
 * are `null` for SQL NULL; only the id's length is read (an empty id is poison).
 */
export function poisonReason(
  id: { length: number } | null,
  key: unknown,
  payload: unknown,
  schemaKey: unknown,
  badId: boolean,
  badPayload: boolean,
): string | null {
  if (id === null) return SourcePoisonReason.NullEventId;
  if (badId) return EVENT_ID_NOT_UTF8;
  if (id.length === 0) return SourcePoisonReason.EmptyEventId;
  if (key === null) return SourcePoisonReason.NullKey;
  if (payload === null) return SourcePoisonReason.NullPayload;
  if (schemaKey === null) return SourcePoisonReason.NullSchemaKey;
  if (badPayload) return SourcePoisonReason.PayloadNotUtf8;
  return null;
}

const reasonOf = (...args: Parameters<typeof poisonReason>): string => {
  const r = poisonReason(...args);
  if (r === null) throw new ReplayError(ErrorCode.Bug, 'rowDecoder: poison row without a reason');
  return r;
};

/**
 * The event id a poison row reports: none for an empty id, as for a NULL or undecodable one, so a
 * dead letter without an identity is never re-driven as is (`raw` keeps the `''`).
 */
const poisonId = (id: string | null, reason: string): string | null =>
  reason === SourcePoisonReason.EmptyEventId ? null : id;

export interface RowDecoder {
  /** A decoder for one COPY text stream (it holds the partial row between chunks). */
  copyStream(): CopyEventDecoder;
  /**
   * One COPY text row as Buffers (fields may alias the network chunk; what the event keeps is
   * copied): the path of poison rows and anything else `copyStream` does not take fast.
   */
  copy(row: CopyRow, out: BatchBuilder): void;
  /** Row of raw text values from the cursor method (rowMode 'array'). */
  text(row: (string | null)[], out: BatchBuilder): void;
}

type PoisonBody = Omit<PoisonRow, 'position'>;

const copyBytes = (kind: BytesKind, f: Buffer): Buffer =>
  kind === 'bytea' ? Buffer.from(f.toString('latin1', 2), 'hex') : Buffer.from(f);

const textBytes = (kind: BytesKind, s: string): Buffer =>
  kind === 'bytea' ? Buffer.from(s.substring(2), 'hex') : Buffer.from(s, 'utf8');

/** Text form of a COPY field for `raw`: UTF-8 text, or `\x…` hex when it is not valid UTF-8. */
const rawText = (f: Buffer | null | undefined): string | null =>
  f == null ? null : isUtf8(f) ? f.toString('utf8') : `\\x${f.toString('hex')}`;

export function rowDecoder(m: TableMeta, sqlAscii: boolean): RowDecoder {
  const parse = m.eventTime.codec.parse;
  const keyKind = m.key.kind;
  const payloadKind = m.payload.kind;
  const constant = 'value' in m.schemaKey ? m.schemaKey.value : undefined;
  const names = selectColumnNames(m);
  const checkPayload = sqlAscii && payloadKind === 'text';
  const checkId = sqlAscii && m.eventId.kind === 'text';

  function copyPoison(row: CopyRow, partition: number): PoisonBody {
    const [t, id, k, pl] = row;
    const sk = constant ?? row[4] ?? null;
    const badId = checkId && id != null && !isUtf8(id);
    const badPayload = checkPayload && pl != null && !isUtf8(pl);
    const raw: Record<string, string | null> = {};
    for (let i = 0; i < names.length; i++) raw[names[i]!] = rawText(row[i]);
    const reason = reasonOf(id ?? null, k ?? null, pl ?? null, sk, badId, badPayload);
    const p: PoisonBody = {
      reason,
      eventId: id == null || badId ? null : poisonId(id.toString('utf8'), reason),
      tsNs: t == null ? null : parse(t.toString('latin1')),
      partition,
      raw,
    };
    if (k != null) p.key = copyBytes(keyKind, k);
    if (pl != null && !badPayload) p.payload = copyBytes(payloadKind, pl);
    if (sk != null) p.schemaKey = typeof sk === 'string' ? sk : sk.toString('utf8');
    return p;
  }

  function textPoison(row: (string | null)[], partition: number): PoisonBody {
    const [t, id, k, pl] = row;
    const sk = constant ?? row[4] ?? null;
    const raw: Record<string, string | null> = {};
    for (let i = 0; i < names.length; i++) raw[names[i]!] = row[i] ?? null;
    const reason = reasonOf(id ?? null, k ?? null, pl ?? null, sk, false, false);
    const p: PoisonBody = {
      reason,
      eventId: poisonId(id ?? null, reason),
      tsNs: t == null ? null : parse(t),
      partition,
      raw,
    };
    if (k != null) p.key = textBytes(keyKind, k);
    if (pl != null) p.payload = textBytes(payloadKind, pl);
    if (sk != null) p.schemaKey = sk;
    return p;
  }

  const decoder: RowDecoder = {
    copyStream: () => new CopyEventDecoder(m, sqlAscii, decoder.copy),
    copy(row, out) {
      const t = row[0]!;
      const id = row[1];
      const k = row[2];
      const pl = row[3];
      const sk = constant === undefined ? row[4] : undefined;
      if (
        id === null ||
        id!.length === 0 ||
        k === null ||
        pl === null ||
        sk === null ||
        (checkId && !isUtf8(id!)) ||
        (checkPayload && !isUtf8(pl!))
      ) {
        out.poisonRow(copyPoison(row, out.partition));
        return;
      }
      out.event({
        tsNs: parse(t.toString('latin1')),
        eventId: id!.toString('utf8'),
        key: copyBytes(keyKind, k!),
        payload: copyBytes(payloadKind, pl!),
        schemaKey: constant ?? sk!.toString('utf8'),
      });
    },
    text(row, out) {
      const id = row[1];
      const k = row[2];
      const pl = row[3];
      const sk = constant === undefined ? row[4] : undefined;
      if (id == null || id === '' || k == null || pl == null || sk === null) {
        out.poisonRow(textPoison(row, out.partition));
        return;
      }
      out.event({
        tsNs: parse(row[0]!),
        eventId: id,
        key: textBytes(keyKind, k),
        payload: textBytes(payloadKind, pl),
        schemaKey: constant ?? sk!,
      });
    },
  };
  return decoder;
}
