/**
 * Routing check: does each row's stored partition equal CEPtra's FNV-1a-64(key bytes) mod N?
 * FNV cannot be computed portably in SQL, so rows are streamed with COPY and hashed in JS: one
 * pass, constant memory, optionally capped by `sampleLimit` rows.
 *
 * Poison rows are screened first, with the decoder's reasons (decode.ts `poisonReason`) and the
 * client's payload size limit: `run` dead-letters them instead of sending them, so where they are
 * stored does not matter, and one NULL key must not fail the whole job as a "mismatch" (issue 9).
 * They are counted by reason instead. An empty key is not poison: it routes as FNV of no bytes.
 * The client's other check, FUTURE_SKEW, cannot hit a row here: a window ends at or before
 * now − guardrails.safetyLag (config validation), so every row in it is in the past.
 */
import { isUtf8 } from 'node:buffer';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { DEFAULT_MAX_EVENT_BYTES } from '../../common/contract.js';
import { partitionForKey } from '../../common/fnv.js';
import type { TimeWindow } from '../source.js';
import { type CopyRow, CopyTextSplitter } from './copy-text.js';
import { poisonReason } from './decode.js';
import { classifyPgError } from './errors.js';
import { routingLayout, routingQuery } from './sql.js';
import type { TableMeta } from './types.js';

export interface RoutingExample {
  partition: number;
  expected: number;
  eventId: string;
  /** Text keys as stored; bytea keys in Postgres hex form (`\x…`). */
  key: string;
}

export interface RoutingPoisonExample {
  reason: string;
  partition: number;
  /** As stored: null for NULL, `''` for an empty id, `\x…` hex when not UTF-8. */
  eventId: string | null;
}

export interface RoutingReport {
  /** Rows read: the checked rows plus the poison rows (`sampleLimit` caps this). */
  scanned: number;
  /** Rows whose routing was checked: the scanned rows that are not poison. */
  checked: number;
  mismatched: number;
  /** The first 10 mismatches. */
  examples: RoutingExample[];
  /** Poison rows by reason; not routing-checked, `run` dead-letters them. */
  poison: Record<string, number>;
  /** The first 10 poison rows. */
  poisonExamples: RoutingPoisonExample[];
}

/** Payloads above `bytes` are poison with `reason`. */
export interface PayloadLimit {
  bytes: number;
  reason: string;
}

/**
 * The engine's client check (engine/poison.ts `PAYLOAD_TOO_LARGE`, at its default limit: the
 * contract's 1 MiB). Spelled out here because a source does not import the engine; a test pins
 * both to the engine's values.
 */
export const defaultPayloadLimit: Readonly<PayloadLimit> = Object.freeze({
  bytes: DEFAULT_MAX_EVENT_BYTES,
  reason: 'PAYLOAD_TOO_LARGE',
});

const TRUE = 0x74; // 't': COPY text of a boolean

export async function checkRouting(
  db: pg.Pool,
  m: TableMeta,
  partitions: 'all' | number[],
  n: number,
  w: TimeWindow,
  sampleLimit: number | undefined,
  payloadLimit: Readonly<PayloadLimit> = defaultPayloadLimit,
): Promise<RoutingReport> {
  const report: RoutingReport = {
    scanned: 0,
    checked: 0,
    mismatched: 0,
    examples: [],
    poison: {},
    poisonExamples: [],
  };
  const L = routingLayout(m);
  const bytea = m.key.kind === 'bytea';
  // Only SQL_ASCII text ids can hold bytes that are not UTF-8 (as in the decoder).
  const checkId = m.sqlAscii && m.eventId.kind === 'text';
  const splitter = new CopyTextSplitter(L.columns);
  const onRow = (row: CopyRow) => {
    report.scanned++;
    const part = Number(row[L.partition]!.toString('latin1'));
    const f = row[L.key] ?? null;
    const id = row[L.eventId] ?? null;
    const bytes = row[L.payloadBytes] ?? null; // NULL iff the payload is NULL
    const sk = L.schemaKeyNull !== undefined && row[L.schemaKeyNull]![0] === TRUE ? null : true;
    const pl = L.payload === undefined ? null : (row[L.payload] ?? null);
    const reason =
      poisonReason(id, f, bytes, sk, checkId && id !== null && !isUtf8(id), pl !== null && !isUtf8(pl)) ??
      (bytes !== null && Number(bytes.toString('latin1')) > payloadLimit.bytes ? payloadLimit.reason : null);
    if (reason !== null) {
      report.poison[reason] = (report.poison[reason] ?? 0) + 1;
      if (report.poisonExamples.length < 10) {
        report.poisonExamples.push({ reason, partition: part, eventId: idText(id) });
      }
      return;
    }
    report.checked++;
    const key = bytea ? Buffer.from(f!.toString('latin1', 2), 'hex') : f!;
    const expected = partitionForKey(key, n);
    if (expected === part) return;
    report.mismatched++;
    if (report.examples.length < 10) {
      report.examples.push({
        partition: part,
        expected,
        eventId: id!.toString('utf8'),
        key: f!.toString('utf8'),
      });
    }
  };
  const client = await db.connect().catch((e: unknown) => {
    throw classifyPgError(e);
  });
  let ok = false;
  try {
    // As in read.ts: a UTF8 client encoding would make a SQL_ASCII server refuse a non-UTF-8
    // value (SQLSTATE 22021) and fail the check instead of reporting the row as poison.
    if (m.sqlAscii) await client.query("SET client_encoding TO 'SQL_ASCII'");
    const stream = client.query(copyStreams.to(routingQuery(m, partitions, w, sampleLimit)));
    for await (const chunk of stream) splitter.push(chunk as Buffer, onRow);
    splitter.finish();
    ok = true;
  } catch (e) {
    throw classifyPgError(e);
  } finally {
    // A connection whose encoding was changed is not handed back to the pool.
    client.release(!ok || m.sqlAscii);
  }
  return report;
}

const idText = (id: Buffer | null): string | null =>
  id === null ? null : isUtf8(id) ? id.toString('utf8') : `\\x${id.toString('hex')}`;
