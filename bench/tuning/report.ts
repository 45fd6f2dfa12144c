/** Markdown tables, plots on disk, and the append-only section of bench/RESULTS.md. */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { type ChartSpec, lineChart } from './svg.js';

export const RESULTS_DIR = new URL('../results/', import.meta.url);
const RESULTS_MD = new URL('../RESULTS.md', import.meta.url);

export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const align = head.map((_, i) => (rows.every((r) => typeof r[i] === 'number') ? '---:' : '---'));
  const cell = (v: string | number) => (typeof v === 'number' ? fmtNum(v) : v);
  return [
    `| ${head.join(' | ')} |`,
    `|${align.join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(2);
}

let plotsDir: URL = RESULTS_DIR;

/** Plots of a run that is not recorded go elsewhere: the committed ones match RESULTS.md. */
export function redirectPlots(dir: URL): void {
  plotsDir = dir;
}

/** Writes `bench/results/<name>.svg` (or under redirectPlots' dir); returns the path relative to bench/. */
export async function writePlot(name: string, spec: ChartSpec): Promise<string> {
  await mkdir(plotsDir, { recursive: true });
  await writeFile(new URL(`${name}.svg`, plotsDir), lineChart(spec));
  return plotsDir === RESULTS_DIR ? `results/${name}.svg` : new URL(`${name}.svg`, plotsDir).pathname;
}

/** Raw samples for a later look: `bench/results/<name>.json` (gitignored). */
export async function writeJson(name: string, data: unknown): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(new URL(`${name}.json`, RESULTS_DIR), JSON.stringify(data));
}

export async function appendResults(section: string, record: boolean): Promise<void> {
  process.stdout.write(`\n${section}\n`);
  if (record) await appendFile(RESULTS_MD, `\n${section}\n`);
}

/** "goal met" / "missed by X" for a measured figure against a bound. */
export function verdict(value: number, bound: number, higherIsBetter: boolean, unit = ''): string {
  if (!Number.isFinite(value)) return 'not measured';
  const ok = higherIsBetter ? value >= bound : value <= bound;
  if (ok) return 'met';
  const by = higherIsBetter ? bound - value : value - bound;
  return `missed by ${fmtNum(by)}${unit} (${((by / bound) * 100).toFixed(0)} %)`;
}
