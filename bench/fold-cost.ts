/**
 * What source-side folding of the built-ins costs a replay (`npx tsx bench/fold-cost.ts`): the
 * worker-side fold of each acknowledged batch, the structured clone of its partial (as it crosses
 * to the main thread), and the main-thread merge — per event, beside the replay's own CPU per
 * event measured end to end (`--replay-us`, default from the latest bench/e2e.ts run).
 * Synthetic events spaced like the demo's (16 partitions over one hour: ~58 ms apart per partition).
 */
import { appendFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { foldBuiltins, PaneAccumulator } from '../src/engine/verify/fold.js';
import type { SourceEvent } from '../src/sources/source.js';
import { machine } from './lib.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    batch: { type: 'string', default: '1000' },
    'replay-us': { type: 'string', default: '16' },
    record: { type: 'boolean', default: false },
  },
});
const N = Number(values.events);
const BATCH = Number(values.batch);
const PARTS = 16;
const PANE = 250_000_000n;

const payload = Buffer.alloc(200, 'x');
const start = 1_754_006_400_000_000_000n;
const perPart: SourceEvent[][] = Array.from({ length: PARTS }, () => []);
for (let i = 0; i < N; i++) {
  const p = i % PARTS;
  const k = perPart[p]!.length;
  perPart[p]!.push({
    tsNs: start + BigInt(k) * 57_600_000n,
    eventId: `e${i}`,
    key: payload,
    payload,
    schemaKey: 's',
  });
}

function run(): number {
  const acc = new PaneAccumulator({ paneNs: PANE, metrics: [] });
  const t0 = process.cpuUsage();
  for (let p = 0; p < PARTS; p++) {
    const evs = perPart[p]!;
    for (let i = 0; i < evs.length; i += BATCH) {
      const partial = foldBuiltins(PANE, evs.slice(i, i + BATCH));
      acc.addBuiltins(p, structuredClone(partial));
    }
  }
  const snap = acc.snapshot();
  const u = process.cpuUsage(t0);
  if (snap.entries.length === 0) throw new Error('nothing folded');
  return ((u.user + u.system) * 1000) / N; // ns per event
}

run(); // warm-up
const runs = [run(), run(), run()].sort((a, b) => a - b);
const ns = runs[1]!;
const replayUs = Number(values['replay-us']);
const pct = (ns / 1000 / replayUs) * 100;
const lines = [
  `## Fold cost of the built-ins (bench/fold-cost.ts, ${N.toLocaleString('en-US')} events, batches of ${BATCH}) — ${new Date().toISOString()}`,
  '',
  `Machine: ${machine()}.`,
  '',
  '| what | per event |',
  '|---|---:|',
  `| fold (worker) + structured clone of the partial + merge (main), median of 3 | ${ns.toFixed(0)} ns |`,
  `| replay CPU per event, end to end (replay process, from bench/e2e.ts) | ${replayUs} µs |`,
  `| share | ${pct.toFixed(1)} % (goal ≤ 10 %) |`,
  '',
];
process.stdout.write(`${lines.join('\n')}\n`);
if (values.record) await appendFile(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
