/**
 * The row model, shared by the seeder and `describeSeed`: which key and timestamp row i gets.
 * Keys and times come from their own PRNG stream, payloads from another, so `describeSeed` can
 * replay the first without building payloads and still match the table exactly.
 */
import { partitionForKey } from '../../common/fnv.js';
import type { ResolvedSeedOptions } from './options.js';
import { fmix32, mulberry32 } from './prng.js';

export interface RowShape {
  index: number;
  keyIndex: number;
  partition: number;
  /** Event time in µs since the epoch (timestamptz resolution). */
  tsUs: number;
}

/** Yields every row's key, partition and timestamp in insertion (time) order. */
export function* rowShapes(o: ResolvedSeedOptions): Generator<RowShape> {
  const rng = mulberry32(o.seed);
  const startUs = Number(o.startNs / 1000n);
  const spanUs = Math.floor(o.spanMs * 1000);
  const step = spanUs / Math.max(1, o.rows);
  const partOfKey = new Int32Array(o.keys).fill(-1);
  let burstLeft = 0;
  let burstKey = 0;
  let burstTs = 0;
  for (let i = 0; i < o.rows; i++) {
    let keyIndex: number;
    let tsUs: number;
    if (burstLeft > 0) {
      burstLeft--;
      keyIndex = burstKey;
      tsUs = burstTs;
    } else {
      keyIndex = Math.floor(rng() * o.keys);
      // Multiplying by a positive constant is monotone in IEEE doubles: times never decrease.
      tsUs = startUs + Math.min(spanUs - 1, Math.floor(i * step));
      if (o.equalTsEvery > 0 && i % o.equalTsEvery === o.equalTsEvery - 1) {
        burstLeft = 1 + Math.floor(rng() * 3); // 1-3 more rows: runs of 2-4 equal timestamps
        burstKey = keyIndex;
        burstTs = tsUs;
      }
    }
    let partition = partOfKey[keyIndex]!;
    if (partition < 0) {
      partition = partitionForKey(`user-${keyIndex}`, o.partitions);
      partOfKey[keyIndex] = partition;
    }
    yield { index: i, keyIndex, partition, tsUs };
  }
}

/** Text event id of row i: a bijective hash of i, so ids are unique and not in time order. */
export function textEventId(seed: number, index: number): string {
  return `evt-${fmix32(index ^ fmix32(seed))
    .toString(16)
    .padStart(8, '0')}-${index.toString(36)}`;
}

const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'CHF', 'SEK'] as const;
const COUNTRIES = ['DE', 'US', 'GB', 'FR', 'JP', 'CH', 'NL', 'SE', 'BR', 'IN'] as const;
const WORDS = ['checkout', 'retry', 'mobile', 'web', 'promo', 'express', 'gift', 'refund', 'basket', 'prime'];
/** Notes that need escaping in JSON and in COPY text (backslash, quote, tab, newline, non-ASCII). */
const TRICKY = ['tab\there', 'line\nbreak', 'quote "q"', 'back\\slash', 'café ✓ 東京', 'cr\rlf'];

/** Payload generator: realistic JSON of about `payloadBytes` bytes. */
export function payloadGenerator(o: ResolvedSeedOptions): (row: RowShape) => string {
  const rng = mulberry32(fmix32(o.seed ^ 0x9e3779b9));
  return (row) => {
    const amount = Math.floor(rng() * 50_000) / 100;
    const latency = Math.floor(-Math.log(1 - rng()) * 40);
    const currency = CURRENCIES[Math.floor(rng() * CURRENCIES.length)]!;
    const country = COUNTRIES[Math.floor(rng() * COUNTRIES.length)]!;
    const tricky = row.index % 97 === 0 ? TRICKY[Math.floor(rng() * TRICKY.length)]! : '';
    let note = tricky;
    const head = `{"user_id":${row.keyIndex},"amount":${amount},"latency_ms":${latency},"currency":"${currency}","country":"${country}","note":`;
    const room = o.payloadBytes - head.length - 3;
    while (note.length < room) note += (note ? ' ' : '') + WORDS[Math.floor(rng() * WORDS.length)]!;
    return `${head}${JSON.stringify(note.slice(0, Math.max(room, tricky.length)))}}`;
  };
}
