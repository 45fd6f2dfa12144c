let buf = new Uint8Array(256);

/** The buffer `utf8Into` last wrote (it grows, so fetch it after each call). */
export function utf8Buffer(): Uint8Array {
  return buf;
}

/** UTF-8 encodes `s` into a reused module buffer and returns the byte length (lone surrogates →
 * U+FFFD, like TextEncoder). Hand-written: `TextEncoder.encodeInto` measured ~50–100 ns per
 * 11-char key here, a plain charCodeAt loop ~30–60 ns. */
export function utf8Into(s: string): number {
  const n = s.length;
  if (buf.length < n * 3) buf = new Uint8Array(n * 3 + 64);
  let j = 0;
  for (let i = 0; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      buf[j++] = c;
    } else if (c < 0x800) {
      buf[j++] = 0xc0 | (c >>> 6);
      buf[j++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        buf[j++] = 0xf0 | (c >>> 18);
        buf[j++] = 0x80 | ((c >>> 12) & 0x3f);
        buf[j++] = 0x80 | ((c >>> 6) & 0x3f);
        buf[j++] = 0x80 | (c & 0x3f);
      } else {
        buf[j++] = 0xef;
        buf[j++] = 0xbf;
        buf[j++] = 0xbd;
      }
    } else {
      buf[j++] = 0xe0 | (c >>> 12);
      buf[j++] = 0x80 | ((c >>> 6) & 0x3f);
      buf[j++] = 0x80 | (c & 0x3f);
    }
  }
  return j;
}
