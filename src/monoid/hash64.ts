import { utf8Buffer, utf8Into } from './utf8.js';

/**
 * xxHash64 (seed 0) over the UTF-8 bytes of a string, in 32-bit halves.
 *
 * Why halves instead of BigInt: a BigInt 64-bit multiply allocates; the split multiply below keeps
 * everything in uint32/doubles (every partial product < 2^53, so exact). Why straight-line code
 * (generated once from a macro script, then checked against a BigInt transcription of the spec in
 * the tests): with helper functions (mul/add/rotl/round) V8 would not inline them all and boxed
 * every uint32 ≥ 2^30 passed as an argument into a HeapNumber: 300–500 ns per 11-byte key. Inline,
 * all values stay in registers. The result goes to `HASH` so no pair is allocated per call.
 * Spec: https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md — test vectors and a BigInt
 * reference live in test/monoid/hash64.test.ts.
 */
/** Output of the `*Into` functions: [hi, lo] 32-bit halves of the last hash. */
export const HASH = new Uint32Array(2);

function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** xxHash64 (seed 0) of bytes[0..len); result in `HASH`. Generated straight-line code: see the note above. */
export function xxh64Into(b: Uint8Array, len: number): void {
  let i = 0;
  let hh: number;
  let hl: number;
  let a0: number;
  let a1: number;
  let mid: number;
  let low: number;
  let mt: number;
  let sum: number;
  let th: number;
  let tl: number;
  let kh: number;
  let kl: number;
  if (len >= 32) {
    let v1h = 0x60ea27ee;
    let v1l = 0xadc0b5d6;
    let v2h = 0xc2b2ae3d;
    let v2l = 0x27d4eb4f;
    let v3h = 0;
    let v3l = 0;
    let v4h = 0x61c8864e;
    let v4l = 0x7a143579;
    for (; i + 32 <= len; i += 32) {
      kl = u32(b, i + 0);
      kh = u32(b, i + 4);
      a0 = kl & 0xffff;
      a1 = kl >>> 16;
      mid = a1 * 0xeb4f + a0 * 0x27d4;
      low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x27d4 +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(kh, 0x27d4eb4f) +
          Math.imul(kl, 0xc2b2ae3d)) >>>
        0;
      tl = low >>> 0;
      th = mt;
      sum = v1l + tl;
      mt = (v1h + th + (sum >= 4294967296 ? 1 : 0)) >>> 0;
      tl = sum >>> 0;
      th = mt;
      mt = ((th << 31) | (tl >>> 1)) >>> 0;
      tl = ((tl << 31) | (th >>> 1)) >>> 0;
      th = mt;
      a0 = tl & 0xffff;
      a1 = tl >>> 16;
      mid = a1 * 0xca87 + a0 * 0x85eb;
      low = a0 * 0xca87 + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x85eb +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(th, 0x85ebca87) +
          Math.imul(tl, 0x9e3779b1)) >>>
        0;
      v1l = low >>> 0;
      v1h = mt;
      kl = u32(b, i + 8);
      kh = u32(b, i + 12);
      a0 = kl & 0xffff;
      a1 = kl >>> 16;
      mid = a1 * 0xeb4f + a0 * 0x27d4;
      low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x27d4 +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(kh, 0x27d4eb4f) +
          Math.imul(kl, 0xc2b2ae3d)) >>>
        0;
      tl = low >>> 0;
      th = mt;
      sum = v2l + tl;
      mt = (v2h + th + (sum >= 4294967296 ? 1 : 0)) >>> 0;
      tl = sum >>> 0;
      th = mt;
      mt = ((th << 31) | (tl >>> 1)) >>> 0;
      tl = ((tl << 31) | (th >>> 1)) >>> 0;
      th = mt;
      a0 = tl & 0xffff;
      a1 = tl >>> 16;
      mid = a1 * 0xca87 + a0 * 0x85eb;
      low = a0 * 0xca87 + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x85eb +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(th, 0x85ebca87) +
          Math.imul(tl, 0x9e3779b1)) >>>
        0;
      v2l = low >>> 0;
      v2h = mt;
      kl = u32(b, i + 16);
      kh = u32(b, i + 20);
      a0 = kl & 0xffff;
      a1 = kl >>> 16;
      mid = a1 * 0xeb4f + a0 * 0x27d4;
      low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x27d4 +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(kh, 0x27d4eb4f) +
          Math.imul(kl, 0xc2b2ae3d)) >>>
        0;
      tl = low >>> 0;
      th = mt;
      sum = v3l + tl;
      mt = (v3h + th + (sum >= 4294967296 ? 1 : 0)) >>> 0;
      tl = sum >>> 0;
      th = mt;
      mt = ((th << 31) | (tl >>> 1)) >>> 0;
      tl = ((tl << 31) | (th >>> 1)) >>> 0;
      th = mt;
      a0 = tl & 0xffff;
      a1 = tl >>> 16;
      mid = a1 * 0xca87 + a0 * 0x85eb;
      low = a0 * 0xca87 + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x85eb +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(th, 0x85ebca87) +
          Math.imul(tl, 0x9e3779b1)) >>>
        0;
      v3l = low >>> 0;
      v3h = mt;
      kl = u32(b, i + 24);
      kh = u32(b, i + 28);
      a0 = kl & 0xffff;
      a1 = kl >>> 16;
      mid = a1 * 0xeb4f + a0 * 0x27d4;
      low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x27d4 +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(kh, 0x27d4eb4f) +
          Math.imul(kl, 0xc2b2ae3d)) >>>
        0;
      tl = low >>> 0;
      th = mt;
      sum = v4l + tl;
      mt = (v4h + th + (sum >= 4294967296 ? 1 : 0)) >>> 0;
      tl = sum >>> 0;
      th = mt;
      mt = ((th << 31) | (tl >>> 1)) >>> 0;
      tl = ((tl << 31) | (th >>> 1)) >>> 0;
      th = mt;
      a0 = tl & 0xffff;
      a1 = tl >>> 16;
      mid = a1 * 0xca87 + a0 * 0x85eb;
      low = a0 * 0xca87 + (mid & 0xffff) * 65536;
      mt =
        (a1 * 0x85eb +
          ((mid / 65536) >>> 0) +
          (low >= 4294967296 ? 1 : 0) +
          Math.imul(th, 0x85ebca87) +
          Math.imul(tl, 0x9e3779b1)) >>>
        0;
      v4l = low >>> 0;
      v4h = mt;
    }
    mt = ((v1h << 1) | (v1l >>> 31)) >>> 0;
    hl = ((v1l << 1) | (v1h >>> 31)) >>> 0;
    hh = mt;
    mt = ((v2h << 7) | (v2l >>> 25)) >>> 0;
    tl = ((v2l << 7) | (v2h >>> 25)) >>> 0;
    th = mt;
    sum = hl + tl;
    mt = (hh + th + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
    mt = ((v3h << 12) | (v3l >>> 20)) >>> 0;
    tl = ((v3l << 12) | (v3h >>> 20)) >>> 0;
    th = mt;
    sum = hl + tl;
    mt = (hh + th + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
    mt = ((v4h << 18) | (v4l >>> 14)) >>> 0;
    tl = ((v4l << 18) | (v4h >>> 14)) >>> 0;
    th = mt;
    sum = hl + tl;
    mt = (hh + th + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
    a0 = v1l & 0xffff;
    a1 = v1l >>> 16;
    mid = a1 * 0xeb4f + a0 * 0x27d4;
    low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x27d4 +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(v1h, 0x27d4eb4f) +
        Math.imul(v1l, 0xc2b2ae3d)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    mt = ((th << 31) | (tl >>> 1)) >>> 0;
    tl = ((tl << 31) | (th >>> 1)) >>> 0;
    th = mt;
    a0 = tl & 0xffff;
    a1 = tl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(th, 0x85ebca87) +
        Math.imul(tl, 0x9e3779b1)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    hh = (hh ^ th) >>> 0;
    hl = (hl ^ tl) >>> 0;
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(hh, 0x85ebca87) +
        Math.imul(hl, 0x9e3779b1)) >>>
      0;
    hl = low >>> 0;
    hh = mt;
    sum = hl + 0xc2b2ae63;
    mt = (hh + 0x85ebca77 + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
    a0 = v2l & 0xffff;
    a1 = v2l >>> 16;
    mid = a1 * 0xeb4f + a0 * 0x27d4;
    low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x27d4 +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(v2h, 0x27d4eb4f) +
        Math.imul(v2l, 0xc2b2ae3d)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    mt = ((th << 31) | (tl >>> 1)) >>> 0;
    tl = ((tl << 31) | (th >>> 1)) >>> 0;
    th = mt;
    a0 = tl & 0xffff;
    a1 = tl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(th, 0x85ebca87) +
        Math.imul(tl, 0x9e3779b1)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    hh = (hh ^ th) >>> 0;
    hl = (hl ^ tl) >>> 0;
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(hh, 0x85ebca87) +
        Math.imul(hl, 0x9e3779b1)) >>>
      0;
    hl = low >>> 0;
    hh = mt;
    sum = hl + 0xc2b2ae63;
    mt = (hh + 0x85ebca77 + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
    a0 = v3l & 0xffff;
    a1 = v3l >>> 16;
    mid = a1 * 0xeb4f + a0 * 0x27d4;
    low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x27d4 +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(v3h, 0x27d4eb4f) +
        Math.imul(v3l, 0xc2b2ae3d)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    mt = ((th << 31) | (tl >>> 1)) >>> 0;
    tl = ((tl << 31) | (th >>> 1)) >>> 0;
    th = mt;
    a0 = tl & 0xffff;
    a1 = tl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(th, 0x85ebca87) +
        Math.imul(tl, 0x9e3779b1)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    hh = (hh ^ th) >>> 0;
    hl = (hl ^ tl) >>> 0;
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(hh, 0x85ebca87) +
        Math.imul(hl, 0x9e3779b1)) >>>
      0;
    hl = low >>> 0;
    hh = mt;
    sum = hl + 0xc2b2ae63;
    mt = (hh + 0x85ebca77 + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
    a0 = v4l & 0xffff;
    a1 = v4l >>> 16;
    mid = a1 * 0xeb4f + a0 * 0x27d4;
    low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x27d4 +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(v4h, 0x27d4eb4f) +
        Math.imul(v4l, 0xc2b2ae3d)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    mt = ((th << 31) | (tl >>> 1)) >>> 0;
    tl = ((tl << 31) | (th >>> 1)) >>> 0;
    th = mt;
    a0 = tl & 0xffff;
    a1 = tl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(th, 0x85ebca87) +
        Math.imul(tl, 0x9e3779b1)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    hh = (hh ^ th) >>> 0;
    hl = (hl ^ tl) >>> 0;
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(hh, 0x85ebca87) +
        Math.imul(hl, 0x9e3779b1)) >>>
      0;
    hl = low >>> 0;
    hh = mt;
    sum = hl + 0xc2b2ae63;
    mt = (hh + 0x85ebca77 + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
  } else {
    hh = 0x27d4eb2f;
    hl = 0x165667c5;
  }
  sum = hl + len;
  mt = (hh + 0 + (sum >= 4294967296 ? 1 : 0)) >>> 0;
  hl = sum >>> 0;
  hh = mt;
  for (; i + 8 <= len; i += 8) {
    kl = u32(b, i);
    kh = u32(b, i + 4);
    a0 = kl & 0xffff;
    a1 = kl >>> 16;
    mid = a1 * 0xeb4f + a0 * 0x27d4;
    low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x27d4 +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(kh, 0x27d4eb4f) +
        Math.imul(kl, 0xc2b2ae3d)) >>>
      0;
    tl = low >>> 0;
    th = mt;
    mt = ((th << 31) | (tl >>> 1)) >>> 0;
    tl = ((tl << 31) | (th >>> 1)) >>> 0;
    th = mt;
    a0 = tl & 0xffff;
    a1 = tl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(th, 0x85ebca87) +
        Math.imul(tl, 0x9e3779b1)) >>>
      0;
    kl = low >>> 0;
    kh = mt;
    hh = (hh ^ kh) >>> 0;
    hl = (hl ^ kl) >>> 0;
    mt = ((hh << 27) | (hl >>> 5)) >>> 0;
    hl = ((hl << 27) | (hh >>> 5)) >>> 0;
    hh = mt;
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(hh, 0x85ebca87) +
        Math.imul(hl, 0x9e3779b1)) >>>
      0;
    hl = low >>> 0;
    hh = mt;
    sum = hl + 0xc2b2ae63;
    mt = (hh + 0x85ebca77 + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
  }
  if (i + 4 <= len) {
    kl = u32(b, i);
    a0 = kl & 0xffff;
    a1 = kl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb + ((mid / 65536) >>> 0) + (low >= 4294967296 ? 1 : 0) + Math.imul(kl, 0x9e3779b1)) >>> 0;
    kl = low >>> 0;
    kh = mt;
    hh = (hh ^ kh) >>> 0;
    hl = (hl ^ kl) >>> 0;
    mt = ((hh << 23) | (hl >>> 9)) >>> 0;
    hl = ((hl << 23) | (hh >>> 9)) >>> 0;
    hh = mt;
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    mid = a1 * 0xeb4f + a0 * 0x27d4;
    low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x27d4 +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(hh, 0x27d4eb4f) +
        Math.imul(hl, 0xc2b2ae3d)) >>>
      0;
    hl = low >>> 0;
    hh = mt;
    sum = hl + 0x9e3779f9;
    mt = (hh + 0x165667b1 + (sum >= 4294967296 ? 1 : 0)) >>> 0;
    hl = sum >>> 0;
    hh = mt;
    i += 4;
  }
  for (; i < len; i++) {
    a0 = b[i]! & 0xffff;
    a1 = b[i]! >>> 16;
    mid = a1 * 0x67c5 + a0 * 0x1656;
    low = a0 * 0x67c5 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x1656 + ((mid / 65536) >>> 0) + (low >= 4294967296 ? 1 : 0) + Math.imul(b[i]!, 0x27d4eb2f)) >>>
      0;
    kl = low >>> 0;
    kh = mt;
    hh = (hh ^ kh) >>> 0;
    hl = (hl ^ kl) >>> 0;
    mt = ((hh << 11) | (hl >>> 21)) >>> 0;
    hl = ((hl << 11) | (hh >>> 21)) >>> 0;
    hh = mt;
    a0 = hl & 0xffff;
    a1 = hl >>> 16;
    mid = a1 * 0xca87 + a0 * 0x85eb;
    low = a0 * 0xca87 + (mid & 0xffff) * 65536;
    mt =
      (a1 * 0x85eb +
        ((mid / 65536) >>> 0) +
        (low >= 4294967296 ? 1 : 0) +
        Math.imul(hh, 0x85ebca87) +
        Math.imul(hl, 0x9e3779b1)) >>>
      0;
    hl = low >>> 0;
    hh = mt;
  }
  hl = (hl ^ (hh >>> 1)) >>> 0; // h ^= h >> 33
  a0 = hl & 0xffff;
  a1 = hl >>> 16;
  mid = a1 * 0xeb4f + a0 * 0x27d4;
  low = a0 * 0xeb4f + (mid & 0xffff) * 65536;
  mt =
    (a1 * 0x27d4 +
      ((mid / 65536) >>> 0) +
      (low >= 4294967296 ? 1 : 0) +
      Math.imul(hh, 0x27d4eb4f) +
      Math.imul(hl, 0xc2b2ae3d)) >>>
    0;
  hl = low >>> 0;
  hh = mt;
  hl = (hl ^ ((hl >>> 29) | (hh << 3))) >>> 0; // h ^= h >> 29
  hh = (hh ^ (hh >>> 29)) >>> 0;
  a0 = hl & 0xffff;
  a1 = hl >>> 16;
  mid = a1 * 0x79f9 + a0 * 0x9e37;
  low = a0 * 0x79f9 + (mid & 0xffff) * 65536;
  mt =
    (a1 * 0x9e37 +
      ((mid / 65536) >>> 0) +
      (low >= 4294967296 ? 1 : 0) +
      Math.imul(hh, 0x9e3779f9) +
      Math.imul(hl, 0x165667b1)) >>>
    0;
  hl = low >>> 0;
  hh = mt;
  HASH[0] = hh;
  HASH[1] = hl ^ hh; // h ^= h >> 32
}

/** xxHash64 of the UTF-8 bytes of `s`; result in `HASH`. */
export function xxh64StringInto(s: string): void {
  const len = utf8Into(s);
  xxh64Into(utf8Buffer(), len);
}

/** Convenience (allocates): xxHash64 as a bigint. */
export function xxh64(input: string | Uint8Array): bigint {
  if (typeof input === 'string') xxh64StringInto(input);
  else xxh64Into(input, input.length);
  return (BigInt(HASH[0]!) << 32n) | BigInt(HASH[1]!);
}
