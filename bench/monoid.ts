/**
 * Micro-bench: ns per `add` for every monoid reducer, and the per-event cost of the source-side
 * pane fold (the two built-ins, then with payload-field metrics). Feeds the "verification costs
 * ≤ 10 % CPU" goal: at the ~52k events/s end-to-end rate measured on these boxes
 * (architecture.md), 10 % of one core is ~1.9 µs per event.
 * Run: `npx tsx bench/monoid.ts`. Prints a table and appends it to bench/RESULTS.md.
 */
import { appendFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import {
  avgMonoid,
  countMonoid,
  exactDistinctMonoid,
  exactQuantileMonoid,
  hllMonoid,
  kllMonoid,
  type Monoid,
  maxMonoid,
  minMonoid,
  PaneFolder,
  sumMonoid,
  topkMonoid,
} from '../src/monoid/index.js';

const N = 1_000_000;
const REPEATS = 5;
const BUDGET_NS = 1e9 / 52_000 / 10;

interface Row {
  name: string;
  nsPerOp: number;
  note: string;
}

/** Median over REPEATS of ns per op for `run(n)` doing n operations (after a warm-up). */
function measure(run: (n: number) => number): number {
  let sink = run(N / 10);
  const samples: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = process.hrtime.bigint();
    sink += run(N);
    samples.push(Number(process.hrtime.bigint() - t0) / N);
  }
  if (sink === 0.123) console.log(''); // keep the work observable
  return samples.sort((a, b) => a - b)[Math.floor(REPEATS / 2)]!;
}

const floats = Float64Array.from({ length: N }, (_, i) => ((i * 2654435761) % 1_000_003) / 997 - 400);
const ints = Int32Array.from({ length: N }, (_, i) => 100 + ((i * 7919) % 900));
const keys = Array.from({ length: 4096 }, (_, i) => `user-${(i * 31) % 4096}`);

// biome-ignore lint/suspicious/noExplicitAny: generic over state types
function reducerBench<I>(m: Monoid<any, I, unknown>, input: (i: number) => I, freshEvery = N): number {
  return measure((n) => {
    let s = m.identity();
    for (let i = 0; i < n; i++) {
      if (i % freshEvery === 0) s = m.identity();
      s = m.add(s, input(i));
    }
    return m.result(s) === undefined ? 0 : 1;
  });
}

const rows: Row[] = [];
const add = (name: string, nsPerOp: number, note = ''): void => {
  rows.push({ name, nsPerOp, note });
};

add(
  'count',
  reducerBench(countMonoid(), (i) => i),
);
add(
  'sum (integers: fast path)',
  reducerBench(sumMonoid(), (i) => ints[i]!),
  'payload bytes take this path',
);
add(
  'sum (fractional doubles)',
  reducerBench(sumMonoid(), (i) => floats[i]!),
  'exact 2176-bit accumulator',
);
add(
  'avg',
  reducerBench(avgMonoid(), (i) => floats[i]!),
);
add(
  'min',
  reducerBench(minMonoid(), (i) => floats[i]!),
);
add(
  'max',
  reducerBench(maxMonoid(), (i) => floats[i]!),
);
add(
  'quantile exact (per 10k pane)',
  reducerBench(exactQuantileMonoid(0.99), (i) => floats[i]!, 10_000),
  'push only; sort at result',
);
add(
  'quantile kll k=200',
  reducerBench(kllMonoid(0.99), (i) => floats[i]!),
);
add(
  'topk k=10 (4096 keys)',
  reducerBench(topkMonoid(10), (i) => keys[i & 4095]!),
);
add(
  'distinct exact (4096 keys)',
  reducerBench(exactDistinctMonoid(), (i) => keys[i & 4095]!),
);
add(
  'distinct hll p=14',
  reducerBench(hllMonoid(), (i) => keys[i & 4095]!),
  'xxHash64 of ~10 UTF-8 bytes',
);

// Pane folding: 16 partitions, 1,000-event batches per partition (as a worker sees them),
// 16 µs between events in a partition, so a 250 ms pane holds ~15k events per partition.
// Timestamps are precomputed so the bench's own BigInt arithmetic is not counted.
const T0 = 1_700_000_000_000_000_000n;
const stamps = Array.from(
  { length: N },
  (_, i) => T0 + BigInt(i - (i % 1000)) * 1_000n + BigInt(i % 1000) * 16_000n,
);
function foldBench(folder: () => PaneFolder, payload: (i: number) => unknown): number {
  return measure((n) => {
    const f = folder();
    for (let i = 0; i < n; i++) f.add(((i / 1000) | 0) % 16, stamps[i]!, ints[i]!, payload(i));
    return f.paneCount;
  });
}

const payloads = Array.from({ length: 4096 }, (_, i) => ({
  amount: floats[i]!,
  user: keys[i]!,
  meta: { region: `r${i % 5}` },
}));
add(
  'fold built-ins (count + bytes) per event',
  foldBench(
    () => new PaneFolder(),
    () => undefined,
  ),
  'per event, no field metrics',
);
add(
  'fold built-ins + sum/max/distinct-hll fields',
  foldBench(
    () =>
      new PaneFolder({
        metrics: [
          { name: 'amount', kind: 'sum', field: '$.amount' },
          { name: 'amount_max', kind: 'max', field: '$.amount' },
          { name: 'users', kind: 'distinct', field: '$.user', mode: 'hll' },
        ],
      }),
    (i) => payloads[i & 4095],
  ),
  'payload already parsed',
);

const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}/${process.arch}, load average ${loadavg()[0]!.toFixed(1)} at the end`;
const lines = [
  `## monoid reducers and pane folding — ${new Date().toISOString()}`,
  '',
  `Machine: ${machine} (shared with other jobs; medians of ${REPEATS} runs of ${N.toLocaleString('en')} ops).`,
  `Budget for comparison: 10 % of one core at 52k events/s = ${BUDGET_NS.toFixed(0)} ns per event.`,
  '',
  '| operation | ns/op | note |',
  '|---|---:|---|',
  ...rows.map((r) => `| ${r.name} | ${r.nsPerOp.toFixed(1)} | ${r.note} |`),
  '',
];
const table = lines.join('\n');
console.log(table);
appendFileSync(new URL('./RESULTS.md', import.meta.url), `${table}\n`);
