/**
 * Response decoding (contract §2). Tolerant: accepts both status spellings, numbers or decimal
 * strings for wide integers, and ignores unknown fields. A body the client cannot understand is a
 * `BAD_RESPONSE` ReplayError (not retried: re-sending would not make it understandable).
 */
import {
  type CepCreditHint,
  CreditHint,
  MAX_HINTED_WAIT_MS,
  normalizeStatus,
} from '../../common/contract.js';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { EventResult } from './types.js';

const HINTS: Record<string, CreditHint> = {
  recover: CreditHint.Recover,
  hold: CreditHint.Hold,
  shed: CreditHint.Shed,
};

function bad(msg: string, body: unknown): ReplayError {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new ReplayError(
    ErrorCode.BadResponse,
    `CEPtra answered an unexpected body: ${msg}: ${text.slice(0, 300)}`,
  );
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

function wide(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return null;
}

export function parseCepHint(v: unknown): CepCreditHint | null {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  const w = num(o.client_window_size);
  if (w === null) return null;
  // Hints are clamped where they enter: every consumer (window, backoff, flow controller) is safe.
  const backoff = Math.min(Math.max(0, num(o.retry_backoff_ms) ?? 0), MAX_HINTED_WAIT_MS);
  return { client_window_size: Math.max(0, w), retry_backoff_ms: backoff };
}

export function parseCreditHint(v: unknown): CreditHint {
  return (typeof v === 'string' && HINTS[v.toLowerCase()]) || CreditHint.Recover;
}

/** One result object; `fallbackId` fills a missing `event_id`. */
export function parseResult(v: unknown, fallbackId: string): EventResult {
  if (v === null || typeof v !== 'object') throw bad('result is not an object', v);
  const o = v as Record<string, unknown>;
  const status = normalizeStatus(o.status);
  if (status === undefined) throw bad(`unknown status ${JSON.stringify(o.status)}`, v);
  const reason = typeof o.cep_status_reason === 'string' ? o.cep_status_reason : null;
  return {
    eventId: typeof o.event_id === 'string' ? o.event_id : fallbackId,
    status,
    creditHint: parseCreditHint(o.credit_hint),
    cepCreditHint: parseCepHint(o.cep_credit_hint),
    reason,
    // Not in the base contract; the emulator and future targets may flag absorbed duplicates.
    duplicate: o.duplicate === true || o.deduplicated === true || o.dedup === true,
    term: wide(o.term),
    index: wide(o.index),
  };
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw bad('not JSON', body);
  }
}

export function parseSingleResponse(body: string, eventId: string): EventResult {
  return parseResult(parseJson(body), eventId);
}

/** `{"results":[...]}`, exactly one result per event sent, same order. */
export function parseBatchResponse(body: string, eventIds: readonly string[]): EventResult[] {
  const o = parseJson(body);
  const results = o !== null && typeof o === 'object' ? (o as { results?: unknown }).results : undefined;
  if (!Array.isArray(results)) throw bad('no results array', body);
  if (results.length !== eventIds.length) {
    throw bad(`${results.length} results for ${eventIds.length} events`, body.slice(0, 300));
  }
  return results.map((r, i) => parseResult(r, eventIds[i]!));
}

/** `retry_after_ms` from a 429/503 body, if any. */
export function retryAfterMsFromBody(body: string): number | null {
  if (!body.includes('retry_after_ms')) return null;
  try {
    const o = JSON.parse(body) as Record<string, unknown>;
    const v = num(o.retry_after_ms);
    return v !== null && v >= 0 ? Math.min(v, MAX_HINTED_WAIT_MS) : null;
  } catch {
    return null;
  }
}
