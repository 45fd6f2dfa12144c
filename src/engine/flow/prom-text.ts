/**
 * A small, tolerant parser of the Prometheus text exposition format (and the OpenMetrics subset a
 * scrape of CEPtra may return): `# HELP`/`# TYPE`/`# EOF` comments, `name{l="v",…} value [ts]`,
 * escaped quotes/backslashes/newlines in label values, NaN / ±Inf, optional timestamps. A line it
 * cannot read is skipped, never fatal: one odd series must not hide the lag signal.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export function parsePromText(text: string, keep?: (name: string) => boolean): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.charCodeAt(0) === 35 /* # */) continue;
    const s = parseLine(line, keep);
    if (s) out.push(s);
  }
  return out;
}

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseLine(line: string, keep?: (name: string) => boolean): PromSample | null {
  const m = NAME_RE.exec(line);
  if (!m) return null;
  const name = m[0];
  if (keep && !keep(name)) return null;
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    const end = parseLabels(line, i + 1, labels);
    if (end < 0) return null;
    i = end;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length === 0 || rest[0] === '') return null;
  const value = parseValue(rest[0]!);
  if (value === null) return null;
  const sample: PromSample = { name, labels, value };
  if (rest.length > 1) {
    const ts = Number(rest[1]);
    if (Number.isFinite(ts)) sample.timestampMs = ts;
  }
  return sample;
}

/** Reads `l="v", …}` from `i`; returns the index after `}` or -1. */
function parseLabels(line: string, start: number, labels: Record<string, string>): number {
  let i = start;
  for (;;) {
    while (line[i] === ' ' || line[i] === ',') i++;
    if (line[i] === '}') return i + 1;
    const m = LABEL_NAME_RE.exec(line.slice(i));
    if (!m) return -1;
    i += m[0].length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=') return -1;
    i++;
    while (line[i] === ' ') i++;
    if (line[i] !== '"') return -1;
    i++;
    let v = '';
    for (;;) {
      const c = line[i];
      if (c === undefined) return -1;
      if (c === '"') break;
      if (c === '\\') {
        const n = line[i + 1];
        v += n === 'n' ? '\n' : (n ?? '');
        i += 2;
        continue;
      }
      v += c;
      i++;
    }
    labels[m[0]] = v;
    i++;
  }
}

function parseValue(s: string): number | null {
  switch (s.toLowerCase()) {
    case 'nan':
      return Number.NaN;
    case '+inf':
    case 'inf':
      return Number.POSITIVE_INFINITY;
    case '-inf':
      return Number.NEGATIVE_INFINITY;
  }
  const v = Number(s);
  return s !== '' && !Number.isNaN(v) ? v : null;
}
