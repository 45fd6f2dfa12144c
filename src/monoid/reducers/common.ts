import { MonoidError, MonoidErrorCode } from '../errors.js';
import type { Json } from '../types.js';

/** Bit-exact equality of two states via their canonical serialized form. */
export function sameJson(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function badState(kind: string, v: Json): MonoidError {
  const text = JSON.stringify(v);
  return new MonoidError(
    MonoidErrorCode.BadState,
    `${kind}: cannot deserialize state ${text.length > 80 ? `${text.slice(0, 80)}…` : text}`,
  );
}

export function isRecord(v: Json): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
