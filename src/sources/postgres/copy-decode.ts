/**
 * COPY text stream -> SourceEvents in one pass: rows are found in the chunk by offsets and each
 * event is built straight from them, with no Buffer per field and no copy per field.
 *
 * Why it is fast (bench/copy-decode.ts: ~300-byte rows with a ~200-byte jsonb payload, 64 KiB
 * chunks, 2-core EPYC, Node 20; bench/RESULTS.md): the row-of-Buffers path (a Buffer view per
 * field, then key and payload copied again) cost 2.7–3.8 µs of CPU and ~1.1 kB of heap per row;
 * this one 0.9–1.5 µs and ~0.4 kB (2.6–3.0× less CPU in the same runs, 2.8× less heap; a bytea
 * payload 3.0× and 4×). What it does per chunk and per row:
 * - Each chunk's complete rows are copied once (one memcpy) into a Buffer this decoder owns; the
 *   events' key and payload are views of that copy. Two views per row is the floor (the port
 *   wants one Buffer each). One allocation per key and per payload instead measured ~+200 B of
 *   heap per row and slower; views of the caller's chunk itself (no copy) no faster within the
 *   noise, and they would hand the caller's buffer to every event. The copy is freed with the
 *   last event of its chunk, so memory follows the batches in flight, as before.
 * - Fields are found with native memchr for the long payload and a byte loop for the short ones.
 *   A row with a backslash (NULL `\N`, escapes, bytea hex) takes the escape-aware scan; its key
 *   and payload are unescaped (and bytea hex-decoded) in place, inside the owned copy.
 * - The event time is read from its digits in place (time.ts `parseBytes`), the id is one string
 *   decode of its range, and a schema-key column is interned (one string per distinct value).
 *
 * Anything that is not a plain valid row — NULLs where an event needs a value, an empty id, a
 * backslash in the time, id or schema key, a text payload with escapes in a SQL_ASCII database,
 * a wrong field count — goes to the row-of-Buffers path (`splitCopyRow` + decode.ts `copy`), which
 * reports poison rows and stream errors exactly as before. Nothing in a row is changed before it
 * is known to be an event, so the slow path always sees the row as it arrived.
 */

import { isUtf8 } from 'node:buffer';
import type { BatchBuilder } from './batcher.js';
import { type CopyRow, copyError, splitCopyRow, unescapeCopyInto } from './copy-text.js';
import type { TimeCodec } from './time.js';
import type { TableMeta } from './types.js';

const TAB = 0x09;
const NL = 0x0a;
const BS = 0x5c;

// Column positions of a read row (sql.ts `selectColumns`) and their bits in an escape mask.
const PAYLOAD = 3;
const SCHEMA = 4;
const KEY_BIT = 1 << 2;
const PAYLOAD_BIT = 1 << PAYLOAD;
/** Time, id or schema key with a backslash (a NULL or an escape): never an event's fast path. */
const SLOW_BITS = (1 << 0) | (1 << 1) | (1 << SCHEMA);

/** Hex digit values by byte, -1 for a byte that is not one. */
const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x41 + c] = HEX[0x61 + c] = 10 + c;

const isNull = (b: Buffer, s: number, e: number): boolean => e - s === 2 && b[s] === BS && b[s + 1] === 0x4e;

/**
 * Hex digits `b[from, e)` decoded to bytes written from `at` (behind the reads: in place is safe);
 * returns the end. Pairs are decoded up to the first that is not hex, an odd last digit dropped:
 * what `Buffer.from(text, 'hex')` does.
 */
function hexInto(b: Buffer, from: number, e: number, at: number): number {
  let o = at;
  for (let i = from; i + 1 < e; i += 2) {
    const hi = HEX[b[i]!]!;
    const lo = HEX[b[i + 1]!]!;
    if ((hi | lo) < 0) break;
    b[o++] = (hi << 4) | lo;
  }
  return o;
}

/**
 * A bytea field decoded in place; returns the end. The same bytes as decode.ts `copyBytes`
 * (`Buffer.from(unescaped.toString('latin1', 2), 'hex')`). As Postgres prints it, `\\x` then hex
 * digits, the doubled backslash is the field's only escape, so the digits are decoded straight
 * from the COPY text without unescaping the field first.
 */
function byteaInPlace(b: Buffer, s: number, e: number, escaped: boolean): number {
  if (!escaped) return hexInto(b, s + 2, e, s);
  if (e - s >= 3 && b[s] === BS && b[s + 1] === BS && b[s + 2] === 0x78) {
    const next = b.indexOf(BS, s + 2);
    if (next < 0 || next >= e) return hexInto(b, s + 3, e, s);
  }
  return hexInto(b, s + 2, unescapeCopyInto(b, s, e, b, s), s);
}

/** Schema-key strings by their bytes: one string per distinct value instead of one per row. */
class Interner {
  readonly #bytes: (Buffer | undefined)[] = new Array(64);
  readonly #text: string[] = new Array(64);

  get(b: Buffer, s: number, e: number): string {
    let h = e - s;
    for (let i = s; i < e; i++) h = (h * 31 + b[i]!) | 0;
    const slot = h & 63;
    const known = this.#bytes[slot];
    if (known !== undefined && known.length === e - s) {
      let i = 0;
      while (i < known.length && known[i] === b[s + i]) i++;
      if (i === known.length) return this.#text[slot]!;
    }
    const text = b.toString('utf8', s, e);
    this.#bytes[slot] = Buffer.from(b.subarray(s, e));
    this.#text[slot] = text;
    return text;
  }
}

export class CopyEventDecoder {
  /** Copies of the partial row at the end of the chunks so far (several when a row spans chunks). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  readonly #columns: number;
  /** Field offsets of the current row: field k is `[at[2k], at[2k + 1])`. */
  readonly #at: Int32Array;
  readonly #time: TimeCodec['parseBytes'];
  readonly #idEncoding: 'latin1' | 'utf8';
  readonly #keyBytea: boolean;
  readonly #payloadBytea: boolean;
  readonly #constant: string | undefined;
  readonly #schemaKeys = new Interner();
  readonly #checkId: boolean;
  readonly #checkPayload: boolean;
  /** The next backslash at or after the current row of the chunk (-1: none left). */
  #bs = -1;

  constructor(
    m: TableMeta,
    sqlAscii: boolean,
    /** The row-of-Buffers decoder, for every row that is not a plain valid event. */
    private readonly slowRow: (row: CopyRow, out: BatchBuilder) => void,
  ) {
    this.#constant = 'value' in m.schemaKey ? m.schemaKey.value : undefined;
    this.#columns = this.#constant === undefined ? 5 : 4;
    this.#at = new Int32Array(2 * this.#columns);
    this.#time = m.eventTime.codec.parseBytes;
    // uuid and integer ids print as ASCII: latin1 is the same string, decoded without UTF-8 checks.
    this.#idEncoding = m.eventId.kind === 'text' ? 'utf8' : 'latin1';
    this.#keyBytea = m.key.kind === 'bytea';
    this.#payloadBytea = m.payload.kind === 'bytea';
    this.#checkId = sqlAscii && m.eventId.kind === 'text';
    this.#checkPayload = sqlAscii && m.payload.kind === 'text';
  }

  /** Feed chunks in arrival order (row boundaries fall anywhere); events go to `out` in row order. */
  push(chunk: Buffer, out: BatchBuilder): void {
    const last = chunk.lastIndexOf(NL);
    if (last < 0) {
      if (chunk.length > 0) {
        this.#pending.push(Buffer.from(chunk));
        this.#pendingBytes += chunk.length;
      }
      return;
    }
    // The owned copy: the pending partial row, then every complete row of this chunk.
    const n = this.#pendingBytes + last + 1;
    const buf = Buffer.allocUnsafe(n);
    let o = 0;
    for (const p of this.#pending) o += p.copy(buf, o);
    chunk.copy(buf, o, 0, last + 1);
    const tail = chunk.length - last - 1;
    this.#pending = tail > 0 ? [Buffer.from(chunk.subarray(last + 1))] : [];
    this.#pendingBytes = tail;
    this.#rows(buf, n, out);
  }

  /** Call at end of stream: a trailing partial row means a truncated stream. */
  finish(): void {
    if (this.#pendingBytes > 0) throw copyError('COPY stream ended inside a row');
  }

  /** Every row of `buf[0, n)`, which ends with a newline. */
  #rows(buf: Buffer, n: number, out: BatchBuilder): void {
    // The next backslash, searched again only once passed: one native scan per chunk tells the
    // (nearly all) rows without one from the rest.
    this.#bs = buf.indexOf(BS);
    for (let pos = 0; pos < n; ) {
      const nl = buf.indexOf(NL, pos);
      let bs = this.#bs;
      if (bs >= 0 && bs < pos) this.#bs = bs = buf.indexOf(BS, pos);
      const escaped = bs >= 0 && bs < nl;
      const mask = escaped ? this.#scanEscaped(buf, pos, nl) : this.#scanPlain(buf, pos, nl);
      if (mask < 0 || !this.#event(buf, mask, out)) {
        this.slowRow(splitCopyRow(buf, pos, nl, this.#columns, escaped), out);
      }
      pos = nl + 1;
    }
  }

  /** Field offsets of a row without backslashes; 0, or -1 when it has the wrong number of fields. */
  #scanPlain(buf: Buffer, start: number, nl: number): number {
    const at = this.#at;
    const last = this.#columns - 1;
    let i = start;
    for (let k = 0; k < last; k++) {
      let j: number;
      if (k === PAYLOAD) {
        j = buf.indexOf(TAB, i); // the long field: native memchr
        if (j < 0 || j > nl) return -1;
      } else {
        j = i;
        while (j < nl && buf[j] !== TAB) j++;
        if (j === nl) return -1;
      }
      at[2 * k] = i;
      at[2 * k + 1] = j;
      i = j + 1;
    }
    at[2 * last] = i;
    at[2 * last + 1] = nl;
    if (last === PAYLOAD) {
      const t = buf.indexOf(TAB, i);
      if (t >= 0 && t < nl) return -1;
    } else {
      for (let j = i; j < nl; j++) if (buf[j] === TAB) return -1;
    }
    return 0;
  }

  /**
   * Field offsets of a row with a backslash, split as `splitCopyRow` splits it (the escaped byte
   * is never a separator); returns the mask of fields holding a backslash, or -1 when the row does
   * not have exactly the expected fields. Tabs and backslashes are found by native memchr, each
   * searched again only once passed: a bytea field (`\\x` + hex) costs a few calls, not a JS
   * loop over its digits.
   */
  #scanEscaped(buf: Buffer, start: number, nl: number): number {
    const at = this.#at;
    const columns = this.#columns;
    let bs = this.#bs;
    let mask = 0;
    let col = 0;
    let t = -1;
    for (let i = start; ; ) {
      // Field `[i, t)`: the first tab after `i` that is not an escaped byte, or the row's end.
      let j = i;
      let escaped = false;
      for (;;) {
        if (t < j) {
          t = buf.indexOf(TAB, j);
          if (t < 0 || t > nl) t = nl;
        }
        if (bs >= 0 && bs < j) bs = buf.indexOf(BS, j);
        if (bs < 0 || bs >= t) break;
        escaped = true;
        j = bs + 2;
        if (j > nl) return -1; // a backslash ends the row
      }
      if (col >= columns) return -1;
      at[2 * col] = i;
      at[2 * col + 1] = t;
      if (escaped) mask |= 1 << col;
      col++;
      if (t === nl) break;
      i = t + 1;
    }
    this.#bs = bs;
    return col === columns ? mask : -1;
  }

  /** The row as an event, or false (nothing changed) when it needs the row-of-Buffers path. */
  #event(buf: Buffer, mask: number, out: BatchBuilder): boolean {
    const at = this.#at;
    const ids = at[2]!;
    const ide = at[3]!;
    const ks = at[4]!;
    let ke = at[5]!;
    const ps = at[6]!;
    let pe = at[7]!;
    if ((mask & SLOW_BITS) !== 0 || ide === ids) return false;
    if ((mask & KEY_BIT) !== 0 && isNull(buf, ks, ke)) return false;
    if ((mask & PAYLOAD_BIT) !== 0 && (isNull(buf, ps, pe) || this.#checkPayload)) return false;
    if (this.#checkId && !isUtf8(buf.subarray(ids, ide))) return false;
    if (this.#checkPayload && !isUtf8(buf.subarray(ps, pe))) return false;
    // A valid event from here on (a time that does not parse throws, as it always did).
    const tsNs = this.#time(buf, at[0]!, at[1]!);
    const keyEscaped = (mask & KEY_BIT) !== 0;
    const payloadEscaped = (mask & PAYLOAD_BIT) !== 0;
    if (this.#keyBytea) ke = byteaInPlace(buf, ks, ke, keyEscaped);
    else if (keyEscaped) ke = unescapeCopyInto(buf, ks, ke, buf, ks);
    if (this.#payloadBytea) pe = byteaInPlace(buf, ps, pe, payloadEscaped);
    else if (payloadEscaped) pe = unescapeCopyInto(buf, ps, pe, buf, ps);
    out.event({
      tsNs,
      eventId: buf.toString(this.#idEncoding, ids, ide),
      key: buf.subarray(ks, ke),
      payload: buf.subarray(ps, pe),
      schemaKey: this.#constant ?? this.#schemaKeys.get(buf, at[8]!, at[9]!),
    });
    return true;
  }
}
