/**
 * Regression check (`npm run bench:regression [-- --rounds 3 --update]`): a quick end-to-end run
 * (bench/e2e.ts on 300,000 rows, medians of `--rounds`) and a quick tuning run (utilisation at the
 * lag target, bench/tuning.ts --quick) compared with the stored baselines in bench/baselines.json.
 * Prints each figure beside its baseline and the ratio; exits 1 when any figure is more than 15 %
 * worse. Not part of `npm test` (it takes minutes and wants an idle machine): run it before landing
 * a change to the data path or the flow controller, and `--update` to store new baselines when a
 * change is meant to move them (say why in the commit).
 *
 * Same-run ratios are compared where the machine's load would otherwise dominate: the replay's
 * rate divided by the naive pg-query-stream → POST loop measured in the same e2e run.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machine } from './lib.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: '300000' },
    update: { type: 'boolean', default: false },
    tolerance: { type: 'string', default: '0.15' },
  },
});
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASELINES = new URL('./baselines.json', import.meta.url);
const TOLERANCE = Number(values.tolerance);

type Better = 'higher' | 'lower';
interface Figure {
  value: number;
  better: Better;
  unit: string;
}
interface Baselines {
  machine: string;
  date: string;
  figures: Record<string, Figure>;
}

function tsx(script: string, args: string[]): void {
  execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function measure(): Promise<Record<string, Figure>> {
  const rounds = Math.max(1, Number(values.rounds));
  const e2eOut = join(tmpdir(), `cr-regression-e2e-${process.pid}.json`);
  // e2e.ts interleaves its paths over the rounds and reports medians.
  tsx('bench/e2e.ts', [
    '--rows',
    String(values.rows),
    '--rounds',
    String(rounds),
    '--no-record',
    '--json',
    e2eOut,
  ]);
  const e2e = JSON.parse(await readFile(e2eOut, 'utf8')) as Record<string, number>;
  const tuningOut = join(tmpdir(), `cr-regression-tuning-${process.pid}.json`);
  tsx('bench/tuning.ts', [
    '--quick',
    '--only',
    'utilisation',
    '--no-record',
    '--no-profile',
    '--json',
    tuningOut,
  ]);
  const tuning = JSON.parse(await readFile(tuningOut, 'utf8')) as Record<string, number>;
  const m = (k: string) => e2e[k]!;
  return {
    'e2e adaptive ÷ naive loop': { value: m('adaptiveOverNaive'), better: 'higher', unit: '×' },
    'e2e static ÷ naive loop': { value: m('staticOverNaive'), better: 'higher', unit: '×' },
    'e2e replay CPU per event (adaptive)': { value: m('adaptiveCpuUsPerEvent'), better: 'lower', unit: 'µs' },
    'tuning utilisation (adaptive, quick)': {
      value: tuning.adaptiveUtil!,
      better: 'higher',
      unit: '× 0.9·C',
    },
    'tuning apply-lag p99 (adaptive, quick)': {
      value: tuning.adaptiveLagP99Ms!,
      better: 'lower',
      unit: 'ms',
    },
  };
}

async function main(): Promise<void> {
  const now = await measure();
  if (values.update) {
    const b: Baselines = { machine: machine(), date: new Date().toISOString(), figures: now };
    await writeFile(BASELINES, `${JSON.stringify(b, null, 2)}\n`);
    process.stdout.write(`baselines written to bench/baselines.json (${Object.keys(now).length} figures)\n`);
    return;
  }
  const base = JSON.parse(await readFile(BASELINES, 'utf8')) as Baselines;
  let failed = 0;
  const lines = [
    `regression check against bench/baselines.json (${base.date}, ${base.machine}); tolerance ${TOLERANCE * 100} %`,
    '',
    '| figure | baseline | now | now ÷ baseline | verdict |',
    '|---|---:|---:|---:|---|',
  ];
  for (const [name, f] of Object.entries(now)) {
    const b = base.figures[name];
    if (!b) {
      lines.push(`| ${name} | — | ${f.value.toFixed(2)} ${f.unit} | — | new (no baseline) |`);
      continue;
    }
    const ratio = f.value / b.value;
    const worse = b.better === 'higher' ? ratio < 1 - TOLERANCE : ratio > 1 + TOLERANCE;
    if (worse) failed++;
    lines.push(
      `| ${name} | ${b.value.toFixed(2)} ${b.unit} | ${f.value.toFixed(2)} ${f.unit} | ${ratio.toFixed(2)} | ${worse ? `REGRESSION (${b.better} is better)` : 'ok'} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
