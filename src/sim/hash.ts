/**
 * Cheap hashes for the hot path. Dedup compares a 32-bit FNV-1a of the payload_b64 string plus its
 * length (never the decoded bytes, never the retained string: 100k entries × 16 partitions of
 * 270-char strings would hold ~450 MB). The applied-ids digest uses FNV-1a-64 of the UTF-8 id,
 * summed mod 2^64 so it is order-independent yet still changes when an id is applied twice.
 */
import { fnv1a64Parts } from '../common/fnv.js';

/** 1 for the standard base64 alphabet (A-Z a-z 0-9 + /), 0 otherwise; '=' handled apart. */
const B64_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  B64_CHAR[c.charCodeAt(0)] = 1;

/**
 * Validates standard base64 and fingerprints it in one pass: length·2^32 + FNV-1a-32(char codes)
 * (exact in a double for length < 2^21), or -1 when `s` is not valid padded base64.
 * One loop instead of a regex test plus a hash loop: validation of a 1,000-event batch of
 * 268-char payloads went from ~2.0 to ~1.4 ms here (bench/sim-ingest.ts profile, contended 2 cores).
 */
export function base64Fingerprint(s: string): number {
  const n = s.length;
  if (n % 4 !== 0) return -1;
  let end = n;
  if (n > 0 && s.charCodeAt(n - 1) === 61) end = s.charCodeAt(n - 2) === 61 ? n - 2 : n - 1;
  let h = 0x811c9dc5;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c > 127 || B64_CHAR[c] === 0) return -1;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return n * 0x100000000 + (h >>> 0);
}

const pair: [number, number] = [0, 0];

/** FNV-1a-64 of the UTF-8 bytes of `s` as [hi, lo]; ASCII ids skip the Buffer allocation. */
export function idHash64(s: string): [number, number] {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      const [h, l] = fnv1a64Parts(Buffer.from(s, 'utf8'));
      pair[0] = h;
      pair[1] = l;
      return pair;
    }
    lo = (lo ^ c) >>> 0;
    const loTimesLo = lo * 0x1b3;
    const carry = Math.floor(loTimesLo / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + Math.imul(lo, 0x100) + carry) >>> 0;
    lo = loTimesLo >>> 0;
  }
  pair[0] = hi;
  pair[1] = lo;
  return pair;
}

/** Order-independent digest: sum mod 2^64 of idHash64 over a multiset of ids. */
export class IdDigest {
  hi = 0;
  lo = 0;
  add(id: string): void {
    const [h, l] = idHash64(id);
    this.addParts(h, l);
  }
  addParts(h: number, l: number): void {
    const lo = this.lo + l;
    const carry = lo >= 0x100000000 ? 1 : 0;
    this.lo = lo >>> 0;
    this.hi = (this.hi + h + carry) >>> 0;
  }
  hex(): string {
    return this.hi.toString(16).padStart(8, '0') + this.lo.toString(16).padStart(8, '0');
  }
}
