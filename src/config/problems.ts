/**
 * Config problems: collected with their field path, then thrown together as one ConfigError
 * (one problem per line), so an operator fixes everything in one pass.
 */
import { ConfigError, ErrorCode, ReplayError } from '../common/errors.js';
import { redactSecrets } from '../common/redact.js';

export interface Problem {
  /** Dotted field path, e.g. `window.end` or `windows[1].start`. */
  path: string;
  message: string;
}

export function pathOf(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? String(s) : `.${String(s)}`;
  }
  return out === '' ? '(root)' : out;
}

/** Short, single-line rendering of a received value for messages. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value))
    return value.length > 5 ? `a list of ${value.length} items` : JSON.stringify(value);
  if (value !== null && typeof value === 'object')
    return `an object with keys ${Object.keys(value).join(', ') || '(none)'}`;
  return String(value);
}

/**
 * Throws a ConfigError whose field is the first problem's path and whose message lists every
 * problem as `path: message`, one per line. `details.problems` keeps them structured.
 */
export function throwProblems(problems: readonly Problem[], sourceName: string): never {
  // A message may quote a received value; a connection URL in it loses its password here.
  const safe = problems.map((p) => ({ path: p.path, message: redactSecrets(p.message) }));
  const [first, ...rest] = safe;
  if (!first) throw new ReplayError(ErrorCode.Bug, 'throwProblems called without problems');
  const lines = [first.message, ...rest.map((p) => `${p.path}: ${p.message}`)];
  throw new ConfigError(first.path, lines.join('\n'), { details: { source: sourceName, problems: safe } });
}

/** Levenshtein distance (small strings: config keys). */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}

/** Closest known key (case-insensitive match first, then edit distance ≤ max(2, len/3)). */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact) return exact;
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best;
}
