/** Window rules: start < end, sorted and disjoint, pane alignment, maxWindow, the safety lag. */
import type { TimeWindow } from '../sources/source.js';
import { formatDurationNs } from './duration.js';
import type { Problem } from './problems.js';
import { formatNs } from './time.js';
import type { GuardrailsConfig } from './types.js';

export interface ParsedWindow {
  startNs: bigint;
  endNs: bigint;
  /** `window` or `windows[i]`. */
  path: string;
  text: { start: string; end: string };
}

interface Ctx {
  problems: Problem[];
  warnings: string[];
  nowNs: bigint;
}

const floorTo = (v: bigint, q: bigint) => {
  const r = v % q;
  return r === 0n ? v : r > 0n ? v - r : v - r - q;
};
const ceilTo = (v: bigint, q: bigint) => {
  const f = floorTo(v, q);
  return f === v ? v : f + q;
};

function align(w: ParsedWindow, g: GuardrailsConfig, ctx: Ctx): TimeWindow {
  const q = g.paneSizeNs;
  if (q <= 0n) return { startNs: w.startNs, endNs: w.endNs };
  const startNs = floorTo(w.startNs, q);
  const endNs = ceilTo(w.endNs, q);
  const pane = formatDurationNs(q);
  for (const [edge, from, to] of [
    ['start', w.startNs, startNs],
    ['end', w.endNs, endNs],
  ] as const) {
    if (from === to) continue;
    if (g.align === 'fail') {
      const down = floorTo(from, q);
      ctx.problems.push({
        path: `${w.path}.${edge}`,
        message:
          `is not aligned to guardrails.paneSize ${pane} (got ${w.text[edge]}); use ${formatNs(down)} or ` +
          `${formatNs(down + q)}, or set guardrails.align: round`,
      });
    } else {
      ctx.warnings.push(
        `${w.path}.${edge} rounded ${edge === 'start' ? 'down' : 'up'} to the ${pane} pane boundary: ` +
          `${w.text[edge]} → ${formatNs(to)}`,
      );
    }
  }
  return { startNs, endNs };
}

export function resolveWindows(parsed: readonly ParsedWindow[], g: GuardrailsConfig, ctx: Ctx): TimeWindow[] {
  const before = ctx.problems.length;
  parsed.forEach((w, i) => {
    if (w.endNs <= w.startNs) {
      ctx.problems.push({
        path: `${w.path}.end`,
        message: `must be after ${w.path}.start (got ${w.text.end} ≤ ${w.text.start}); swap them or fix the dates`,
      });
    }
    const prev = parsed[i - 1];
    if (prev && w.startNs < prev.endNs) {
      ctx.problems.push({
        path: `${w.path}.start`,
        message:
          `must not be before ${prev.path}.end (got ${w.text.start} < ${prev.text.end}); ` +
          'windows must be sorted by start and must not overlap',
      });
    }
  });
  if (ctx.problems.length > before) return [];

  const aligned: TimeWindow[] = [];
  parsed.forEach((w, i) => {
    const a = align(w, g, ctx);
    const last = aligned[aligned.length - 1];
    if (last && a.startNs <= last.endNs) {
      if (a.startNs < last.endNs) {
        ctx.warnings.push(`${w.path} overlaps windows[${i - 1}] after pane rounding; the two were merged`);
      }
      if (a.endNs > last.endNs) last.endNs = a.endNs;
    } else {
      aligned.push(a);
    }
  });

  const total = aligned.reduce((sum, w) => sum + (w.endNs - w.startNs), 0n);
  const where = parsed.length === 1 ? parsed[0]!.path : 'windows';
  if (total > g.maxWindowNs) {
    const max = formatDurationNs(g.maxWindowNs);
    ctx.problems.push({
      path: where,
      message:
        `covers ${formatDurationNs(total)}, more than guardrails.maxWindow ${max}; ` +
        `split it into several jobs of at most ${max} each, or raise guardrails.maxWindow`,
    });
  }

  const lastWindow = aligned[aligned.length - 1];
  const lastParsed = parsed[parsed.length - 1]!;
  const limit = ctx.nowNs - g.safetyLagNs;
  if (lastWindow && lastWindow.endNs > limit) {
    const lag = formatDurationNs(g.safetyLagNs);
    ctx.problems.push({
      path: `${lastParsed.path}.end`,
      message:
        `${formatNs(lastWindow.endNs)} is later than now − guardrails.safetyLag ${lag} (= ${formatNs(limit)}); ` +
        `rows there may not be committed yet: move ${lastParsed.path}.end back to ${formatNs(floorTo(limit, g.paneSizeNs || 1n))} ` +
        'or earlier, or lower guardrails.safetyLag',
    });
  }
  return ctx.problems.length > before ? [] : aligned;
}
