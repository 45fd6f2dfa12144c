/**
 * The identity of a dead letter inside its job: a digest of everything it holds except the job
 * and the time it was stored. A poison row re-read after a resume, or an event refused again after
 * a crash re-sent it, yields the same key, so both stores keep one record for it.
 */
import { createHash } from 'node:crypto';
import type { DeadLetterRecord } from '../../engine/cursor.js';

export function deadLetterKey(r: DeadLetterRecord): string {
  const h = createHash('sha256');
  const raw =
    r.raw === undefined ? null : Object.entries(r.raw).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  h.update(
    JSON.stringify([
      r.partition,
      r.reason,
      r.eventId,
      r.tsNs === null ? null : r.tsNs.toString(),
      r.schemaKey ?? null,
      r.key === undefined ? null : r.key.length,
      r.payload === undefined ? null : r.payload.length,
      raw,
    ]),
  );
  if (r.key !== undefined) h.update(r.key);
  h.update('\0');
  if (r.payload !== undefined) h.update(r.payload);
  return h.digest('base64url');
}
