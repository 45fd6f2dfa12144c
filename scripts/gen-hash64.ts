/**
 * Generates `src/monoid/hash64.ts` (xxHash64 in 32-bit halves, straight-line code) from the macros
 * below: `npm run gen:hash64` (= `npx tsx scripts/gen-hash64.ts`). The output is formatted with the
 * project's biome config; test/monoid/hash64-generated.test.ts fails when the committed file differs
 * from what this generates.
 *
 * Conventions of the generated code: a 64-bit value is a pair of uint32 locals `[hi, lo]` (e.g.
 * `hh`/`hl` is the hash, `th`/`tl` a temporary, `kh`/`kl` the input lane, `vNh`/`vNl` the four
 * accumulators). Scratch locals: `a0`, `a1`, `mid`, `low` (multiply), `mt` (the new high word, so a
 * macro may write over its own input), `sum` (add with carry).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const MASK = 0xffffffffffffffffn;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

/** A 64-bit value as [hi, lo] code expressions; a null hi means a known-zero high word. */
type Pair = readonly [hi: string | null, lo: string];
type Var = readonly [hi: string, lo: string];

const H: Var = ['hh', 'hl'];
const T: Var = ['th', 'tl'];
const K: Var = ['kh', 'kl'];
const V: readonly Var[] = [1, 2, 3, 4].map((n) => [`v${n}h`, `v${n}l`] as const);

function hex(n: number): string {
  return n === 0 ? '0' : `0x${n.toString(16)}`;
}
const hi32 = (c: bigint): number => Number((c >> 32n) & 0xffffffffn);
const lo32 = (c: bigint): number => Number(c & 0xffffffffn);
/** A 64-bit constant as [hi, lo] hex literals. */
const konst = (c: bigint): Var => [hex(hi32(c)), hex(lo32(c))];

/**
 * dst = src * c (mod 2^64). The low word's 32×32 product is built from 16-bit pieces (every partial
 * product < 2^53, so exact in doubles; `low` carries at most one bit into the high word); the cross
 * terms only matter mod 2^32, so they go through Math.imul.
 */
function mul(dst: Var, src: Pair, c: bigint): string[] {
  const [xh, xl] = src;
  const ch = hi32(c);
  const cl = lo32(c);
  const c0 = hex(cl & 0xffff);
  const c1 = hex(cl >>> 16);
  const hiTerms = [`a1 * ${c1}`, '((mid / 65536) >>> 0)', '(low >= 4294967296 ? 1 : 0)'];
  if (xh !== null) hiTerms.push(`Math.imul(${xh}, ${hex(cl)})`);
  hiTerms.push(`Math.imul(${xl}, ${hex(ch)})`);
  return [
    `a0 = ${xl} & 0xffff;`,
    `a1 = ${xl} >>> 16;`,
    `mid = a1 * ${c0} + a0 * ${c1};`,
    `low = a0 * ${c0} + (mid & 0xffff) * 65536;`,
    `mt = (${hiTerms.join(' + ')}) >>> 0;`,
    `${dst[1]} = low >>> 0;`,
    `${dst[0]} = mt;`,
  ];
}

/** dst = a + b (mod 2^64), carrying out of the low word. */
function add(dst: Var, a: Var, b: Var): string[] {
  return [
    `sum = ${a[1]} + ${b[1]};`,
    `mt = (${a[0]} + ${b[0]} + (sum >= 4294967296 ? 1 : 0)) >>> 0;`,
    `${dst[1]} = sum >>> 0;`,
    `${dst[0]} = mt;`,
  ];
}

/** dst = rotl(src, n) for 0 < n < 32. */
function rotl(dst: Var, src: Var, n: number): string[] {
  if (!(n > 0 && n < 32)) throw new Error(`rotl by ${n}: only 0 < n < 32 is implemented`);
  const [sh, sl] = src;
  return [
    `mt = ((${sh} << ${n}) | (${sl} >>> ${32 - n})) >>> 0;`,
    `${dst[1]} = ((${sl} << ${n}) | (${sh} >>> ${32 - n})) >>> 0;`,
    `${dst[0]} = mt;`,
  ];
}

/** dst ^= x. */
function xorInto(dst: Var, x: Var): string[] {
  return [`${dst[0]} = (${dst[0]} ^ ${x[0]}) >>> 0;`, `${dst[1]} = (${dst[1]} ^ ${x[1]}) >>> 0;`];
}

/** Loads the 8-byte little-endian lane at `at` into `kh`/`kl`. */
function loadLane(at: (offset: number) => string): string[] {
  return [`kl = u32(b, ${at(0)});`, `kh = u32(b, ${at(4)});`];
}

/** xxh64 round: acc = rotl(acc + lane * P2, 31) * P1 (clobbers th/tl). */
function round(acc: Var, lane: Var): string[] {
  return [...mul(T, lane, P2), ...add(T, acc, T), ...rotl(T, T, 31), ...mul(acc, T, P1)];
}

/** xxh64 round with a zero accumulator: dst = rotl(lane * P2, 31) * P1 (clobbers th/tl). */
function round0(dst: Var, lane: Var): string[] {
  return [...mul(T, lane, P2), ...rotl(T, T, 31), ...mul(dst, T, P1)];
}

/** h = (h ^ round(0, v)) * P1 + P4. */
function mergeRound(v: Var): string[] {
  return [...round0(T, v), ...xorInto(H, T), ...mul(H, H, P1), ...add(H, H, konst(P4))];
}

/** Tail, 8 bytes at i: h = rotl(h ^ round(0, lane), 27) * P1 + P4. */
function tail8(): string[] {
  return [
    ...loadLane((o) => (o === 0 ? 'i' : `i + ${o}`)),
    ...round0(K, K),
    ...xorInto(H, K),
    ...rotl(H, H, 27),
    ...mul(H, H, P1),
    ...add(H, H, konst(P4)),
  ];
}

/** Tail, 4 bytes at i: h = rotl(h ^ (u32 * P1), 23) * P2 + P3. */
function tail4(): string[] {
  return [
    'kl = u32(b, i);',
    ...mul(K, [null, 'kl'], P1),
    ...xorInto(H, K),
    ...rotl(H, H, 23),
    ...mul(H, H, P2),
    ...add(H, H, konst(P3)),
    'i += 4;',
  ];
}

/** Tail, 1 byte at i: h = rotl(h ^ (byte * P5), 11) * P1. */
function tail1(): string[] {
  return [...mul(K, [null, 'b[i]!'], P5), ...xorInto(H, K), ...rotl(H, H, 11), ...mul(H, H, P1)];
}

/** h ^= h >> 33; h *= P2; h ^= h >> 29; h *= P3; h ^= h >> 32 (the last one straight into HASH). */
function avalanche(): string[] {
  return [
    'hl = (hl ^ (hh >>> 1)) >>> 0; // h ^= h >> 33',
    ...mul(H, H, P2),
    'hl = (hl ^ ((hl >>> 29) | (hh << 3))) >>> 0; // h ^= h >> 29',
    'hh = (hh ^ (hh >>> 29)) >>> 0;',
    ...mul(H, H, P3),
    'HASH[0] = hh;',
    'HASH[1] = hl ^ hh; // h ^= h >> 32',
  ];
}

const indent = (lines: string[]): string[] => lines.map((l) => `  ${l}`);
const block = (head: string, body: string[], tail = '}'): string[] => [`${head} {`, ...indent(body), tail];

function xxh64IntoBody(): string[] {
  const init = [(P1 + P2) & MASK, P2, 0n, (0n - P1) & MASK];
  const stripe = [0, 1, 2, 3].flatMap((n) => [...loadLane((o) => `i + ${8 * n + o}`), ...round(V[n]!, K)]);
  const long = [
    ...init.flatMap((c, n) => [`let ${V[n]![0]} = ${hex(hi32(c))};`, `let ${V[n]![1]} = ${hex(lo32(c))};`]),
    ...block('for (; i + 32 <= len; i += 32)', stripe),
    ...rotl(H, V[0]!, 1),
    ...rotl(T, V[1]!, 7),
    ...add(H, H, T),
    ...rotl(T, V[2]!, 12),
    ...add(H, H, T),
    ...rotl(T, V[3]!, 18),
    ...add(H, H, T),
    ...V.flatMap((v) => mergeRound(v)),
  ];
  const short = [`hh = ${hex(hi32(P5))};`, `hl = ${hex(lo32(P5))};`];
  const locals = ['hh', 'hl', 'a0', 'a1', 'mid', 'low', 'mt', 'sum', 'th', 'tl', 'kh', 'kl'];
  return [
    'let i = 0;',
    ...locals.map((l) => `let ${l}: number;`),
    ...block('if (len >= 32)', long, '} else {'),
    ...indent(short),
    '}',
    ...add(H, H, ['0', 'len']),
    ...block('for (; i + 8 <= len; i += 8)', tail8()),
    ...block('if (i + 4 <= len)', tail4()),
    ...block('for (; i < len; i++)', tail1()),
    ...avalanche(),
  ];
}

const HEADER = `// Generated by \`npm run gen:hash64\` (scripts/gen-hash64.ts): do not edit by hand.
import { utf8Buffer, utf8Into } from './utf8.js';

/**
 * xxHash64 (seed 0) over the UTF-8 bytes of a string, in 32-bit halves.
 *
 * Why halves instead of BigInt: a BigInt 64-bit multiply allocates; the split multiply below keeps
 * everything in uint32/doubles (every partial product < 2^53, so exact). Why straight-line code
 * (generated once from a macro script, then checked against a BigInt transcription of the spec in
 * the tests): with helper functions (mul/add/rotl/round) V8 would not inline them all and boxed
 * every uint32 ≥ 2^30 passed as an argument into a HeapNumber: 300–500 ns per 11-byte key. Inline,
 * all values stay in registers. The result goes to \`HASH\` so no pair is allocated per call.
 * Spec: https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md — test vectors and a BigInt
 * reference live in test/monoid/hash64.test.ts.
 */
/** Output of the \`*Into\` functions: [hi, lo] 32-bit halves of the last hash. */
export const HASH = new Uint32Array(2);

function u32(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}
`;

const FOOTER = `
/** xxHash64 of the UTF-8 bytes of \`s\`; result in \`HASH\`. */
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
`;

/** The generated source before formatting. */
export function generateRaw(): string {
  const fn = block('export function xxh64Into(b: Uint8Array, len: number): void', xxh64IntoBody());
  return [
    HEADER,
    '/** xxHash64 (seed 0) of bytes[0..len); result in `HASH`. Generated straight-line code: see the note above. */',
    ...fn,
    FOOTER,
  ].join('\n');
}

const root = fileURLToPath(new URL('..', import.meta.url));
export const hash64Path = fileURLToPath(new URL('../src/monoid/hash64.ts', import.meta.url));

/** Formats TypeScript source with the project's biome config (stdin → stdout, nothing written). */
function biomeFormat(source: string, filePath: string): Promise<string> {
  const bin = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['format', `--stdin-file-path=${filePath}`], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`biome format exited with ${code}: ${Buffer.concat(err).toString('utf8')}`));
    });
    child.stdin.end(source);
  });
}

/** The formatted contents of src/monoid/hash64.ts, without writing it. */
export function generate(): Promise<string> {
  return biomeFormat(generateRaw(), 'src/monoid/hash64.ts');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(hash64Path, await generate());
  process.stdout.write(`wrote ${hash64Path}\n`);
}
