/** The chaos figures: aggregated from the run records and the ground truth, rendered as a table. */
import type { ChaosOptions } from './options.js';
import { Phase, type RunRecord } from './run-once.js';
import { Signal } from './scenarios.js';
import { emptyVerdict, type Verdict } from './verify.js';

export interface ChaosFigures {
  runs: number;
  /** Times the job completed (an early completion resets the emulator and starts over as a new job id). */
  epochs: number;
  kills: { sigkill: number; sigterm: number; startup: number; streaming: number };
  /** Run exits: 'SIGKILL', 'exit 0', 'exit 3', … */
  exits: Record<string, number>;
  /** Faults by kind: the emulator's `faults_injected` and the harness's own counters. */
  faults: Record<string, number>;
  pgRestart: { done: number; skipped: string | null };
  verdict: Verdict;
  resent: {
    total: number;
    /** Most duplicates absorbed after one SIGKILL, and the in-flight bound it must stay under. */
    maxAfterKill: number;
    bound: number;
    overBound: number;
    maxAfterSigterm: number;
  };
  /** Restart → first new applied event (runs that followed an interruption and got that far). */
  recovery: { n: number; p50Ms: number | null; maxMs: number | null; notReached: number };
  /** Restart → first new event accepted by the target (same runs). */
  resumed: { n: number; p50Ms: number | null; maxMs: number | null; notReached: number };
  final: { exit: string; timedOut: boolean; ms: number };
  durationMs: number;
  failures: string[];
  ok: boolean;
}

export function exitLabel(r: RunRecord): string {
  return r.exit.signal ? r.exit.signal : `exit ${r.exit.code}`;
}

function pct(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export function inFlightBound(o: ChaosOptions): number {
  return Math.min(o.parallelPartitions, o.partitions) * o.maxInFlight * o.batchSize;
}

export function collectFigures(
  o: ChaosOptions,
  runs: RunRecord[],
  injected: Record<string, number>,
  verdict: Verdict | null,
  meta: { epochs: number; pgRestartSkipped: string | null; durationMs: number },
): ChaosFigures {
  const f: ChaosFigures = {
    runs: runs.length,
    epochs: meta.epochs,
    kills: { sigkill: 0, sigterm: 0, startup: 0, streaming: 0 },
    exits: {},
    faults: { ...Object.fromEntries(Object.entries(injected).map(([k, v]) => [`sim ${k}`, v])) },
    pgRestart: { done: 0, skipped: meta.pgRestartSkipped },
    verdict: verdict ?? emptyVerdict(),
    resent: { total: 0, maxAfterKill: 0, bound: inFlightBound(o), overBound: 0, maxAfterSigterm: 0 },
    recovery: { n: 0, p50Ms: null, maxMs: null, notReached: 0 },
    resumed: { n: 0, p50Ms: null, maxMs: null, notReached: 0 },
    final: { exit: 'not run', timedOut: false, ms: 0 },
    durationMs: meta.durationMs,
    failures: [],
    ok: true,
  };
  const own = (k: string, n: number) => {
    if (n > 0) f.faults[k] = (f.faults[k] ?? 0) + n;
  };
  const rec: number[] = [];
  const acc: number[] = [];
  for (const [i, r] of runs.entries()) {
    const label = exitLabel(r);
    f.exits[label] = (f.exits[label] ?? 0) + 1;
    if (r.sent === Signal.Kill) f.kills.sigkill++;
    if (r.sent === Signal.Term) f.kills.sigterm++;
    if (r.phase === Phase.Startup) f.kills.startup++;
    if (r.phase === Phase.Streaming) f.kills.streaming++;
    if (r.scenario) own(`run with ${r.scenario.downstream}`, 1);
    own('apply stalls', r.stalls);
    own('failovers (503 ×1, 2-4 s)', r.failovers);
    own('pg_terminate_backend rounds', r.terminateRounds);
    own('reader backends terminated', r.terminated);
    own('pg_terminate_backend rounds with no COPY open', r.terminateMissed);
    if (r.pgRestartMs !== null) f.pgRestart.done++;
    f.resent.total += r.duplicates;
    const prev = runs[i - 1];
    if (prev?.sent) {
      if (r.firstAppliedMs !== null) rec.push(r.firstAppliedMs);
      else f.recovery.notReached++;
      if (r.firstAcceptedMs !== null) acc.push(r.firstAcceptedMs);
      else f.resumed.notReached++;
      if (prev.sent === Signal.Kill) f.resent.maxAfterKill = Math.max(f.resent.maxAfterKill, r.duplicates);
      else f.resent.maxAfterSigterm = Math.max(f.resent.maxAfterSigterm, r.duplicates);
      if (prev.sent === Signal.Kill && r.duplicates > f.resent.bound) f.resent.overBound++;
    }
    const n = i + 1;
    if (r.scenario === null) {
      f.final = { exit: label, timedOut: r.timedOut, ms: r.durationMs };
      if (r.exit.code !== 0)
        f.failures.push(`final run: ${label}${r.timedOut ? ' (timed out)' : ''}: ${lastLine(r)}`);
    } else if (r.sent === Signal.Term && r.exit.code !== 3 && r.exit.code !== 0)
      f.failures.push(
        `run ${n}: SIGTERM gave ${label}${r.termEscalated ? ' (no exit within the grace period)' : ''}, expected exit 3: ${lastLine(r)}`,
      );
    else if (r.sent === null && r.exit.code !== 0)
      f.failures.push(`run ${n}: ended by itself with ${label}: ${lastLine(r)}`);
    if (r.timedOut) f.failures.push(`run ${n}: timed out`);
  }
  f.recovery.n = rec.length;
  f.recovery.p50Ms = pct(rec, 0.5);
  f.recovery.maxMs = pct(rec, 1);
  f.resumed.n = acc.length;
  f.resumed.p50Ms = pct(acc, 0.5);
  f.resumed.maxMs = pct(acc, 1);
  const v = f.verdict;
  if (!verdict) f.failures.push('no ground-truth check ran');
  if (v.lost) f.failures.push(`${v.lost} events lost`);
  if (v.appliedTwice || v.sim.appliedTwice)
    f.failures.push(`applied twice: ${v.appliedTwice} (log), ${v.sim.appliedTwice} (emulator)`);
  if (v.outOfOrder || v.sim.outOfOrder)
    f.failures.push(`out of order: ${v.outOfOrder} (log), ${v.sim.outOfOrder} (emulator)`);
  if (v.unknown) f.failures.push(`${v.unknown} applied events are not in the source`);
  if (f.resent.overBound)
    f.failures.push(`${f.resent.overBound} kills re-sent more than the in-flight window (${f.resent.bound})`);
  f.ok = f.failures.length === 0;
  return f;
}

function lastLine(r: RunRecord): string {
  const lines = `${r.exit.stderr}\n${r.exit.stdout}`.split('\n').filter((l) => l.trim());
  const err = lines.find((l) => /error|fail/i.test(l)) ?? lines.at(-1) ?? '';
  return err.slice(0, 300);
}

const n = (x: number) => x.toLocaleString('en-US');
const ms = (x: number | null) => (x === null ? '–' : `${n(Math.round(x))} ms`);

/** A markdown table of the figures. */
export function renderFigures(f: ChaosFigures): string {
  const v = f.verdict;
  const faults = Object.entries(f.faults)
    .filter(([, c]) => c > 0)
    .map(([k, c]) => `${k} ${n(c)}`)
    .join('; ');
  const exits = Object.entries(f.exits)
    .map(([k, c]) => `${k} ×${c}`)
    .join(', ');
  const rows: [string, string][] = [
    ['runs (job completions)', `${n(f.runs)} (${f.epochs})`],
    ['kills: SIGKILL / SIGTERM', `${n(f.kills.sigkill)} / ${n(f.kills.sigterm)}`],
    ['kill moment: before first send / streaming', `${n(f.kills.startup)} / ${n(f.kills.streaming)}`],
    ['run exits', exits],
    ['faults by kind', faults || 'none'],
    ['PostgreSQL restarts', f.pgRestart.skipped ? `skipped: ${f.pgRestart.skipped}` : n(f.pgRestart.done)],
    ['events (source)', n(v.events)],
    ['applied', n(v.applied)],
    ['lost', n(v.lost)],
    ['applied twice (log / emulator)', `${n(v.appliedTwice)} / ${n(v.sim.appliedTwice)}`],
    ['out of order (log / emulator)', `${n(v.outOfOrder)} / ${n(v.sim.outOfOrder)}`],
    ['late-dropped by the emulator', n(v.sim.lateDropped)],
    ['re-sent (duplicates absorbed), total', n(f.resent.total)],
    [
      're-sent after one SIGKILL: max / bound',
      `${n(f.resent.maxAfterKill)} / ${n(f.resent.bound)}${f.resent.overBound ? ` (${f.resent.overBound} over)` : ''}`,
    ],
    ['re-sent after one SIGTERM: max', n(f.resent.maxAfterSigterm)],
    [
      'time to recover (first new applied) p50 / max (n)',
      `${ms(f.recovery.p50Ms)} / ${ms(f.recovery.maxMs)} (${f.recovery.n}; ${f.recovery.notReached} interrupted first)`,
    ],
    [
      'time to first new accepted event p50 / max (n)',
      `${ms(f.resumed.p50Ms)} / ${ms(f.resumed.maxMs)} (${f.resumed.n}; ${f.resumed.notReached} interrupted first)`,
    ],
    ['final run', `${f.final.exit}${f.final.timedOut ? ' (timed out)' : ''} in ${ms(f.final.ms)}`],
    ['wall time', `${(f.durationMs / 1000).toFixed(1)} s`],
    ['verdict', f.ok ? 'OK' : `FAILED: ${f.failures.join('; ')}`],
  ];
  return [
    '| figure | value |',
    '|---|---|',
    ...rows.map(([k, x]) => `| ${k} | ${x.replace(/\|/g, '\\|')} |`),
  ].join('\n');
}
