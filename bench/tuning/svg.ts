/** A tiny dependency-free SVG line chart: time on x, one or more series on y, labelled axes, markers. */

export interface Series {
  name: string;
  /** [x, y] pairs, x ascending. */
  points: readonly (readonly [number, number])[];
}

export interface Marker {
  x: number;
  label: string;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  markers?: readonly Marker[];
  /** Horizontal reference line (e.g. the lag target). */
  hline?: { y: number; label: string };
  width?: number;
  height?: number;
  /** At most this many points per series are drawn (keeps files small). */
  maxPoints?: number;
}

const COLORS = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#ff7f0e',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const r1 = (v: number) => Math.round(v * 10) / 10;

/** Keeps at most `max` points, evenly spaced by index, always including the last one. */
export function downsample<T>(pts: readonly T[], max: number): T[] {
  if (pts.length <= max) return [...pts];
  const out: T[] = [];
  const step = (pts.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(pts[Math.round(i * step)]!);
  return out;
}

/** 1, 2, 5 × 10^k ticks covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${r1(v / 1e6)}M`;
  if (a >= 1e3) return `${r1(v / 1e3)}k`;
  return String(r1(v));
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 720;
  const H = spec.height ?? 360;
  const m = { l: 64, r: 16, t: 32, b: 64 };
  const all = spec.series.flatMap((s) => s.points);
  const xs = [...all.map((p) => p[0]), ...(spec.markers ?? []).map((k) => k.x)];
  const ys = [...all.map((p) => p[1]), ...(spec.hline ? [spec.hline.y] : [])];
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs, x0 + 1e-9) : 1;
  const y0 = Math.min(0, ...ys);
  const y1 = ys.length ? Math.max(...ys, y0 + 1e-9) * 1.05 : 1;
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const sx = (x: number) => r1(m.l + ((x - x0) / (x1 - x0 || 1)) * pw);
  const sy = (y: number) => r1(m.t + ph - ((y - y0) / (y1 - y0 || 1)) * ph);
  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${esc(spec.title)}</text>`,
    `<path d="M${m.l},${m.t}V${m.t + ph}H${m.l + pw}" stroke="#000" fill="none"/>`,
  ];
  for (const t of niceTicks(x0, x1))
    o.push(`<text x="${sx(t)}" y="${m.t + ph + 14}" text-anchor="middle">${fmt(t)}</text>`);
  for (const t of niceTicks(y0, y1))
    o.push(
      `<path d="M${m.l},${sy(t)}h${pw}" stroke="#eee"/><text x="${m.l - 4}" y="${sy(t) + 4}" text-anchor="end">${fmt(t)}</text>`,
    );
  o.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 30}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  o.push(
    `<text transform="translate(14,${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );
  if (spec.hline) {
    const y = sy(spec.hline.y);
    o.push(`<path d="M${m.l},${y}h${pw}" stroke="#999" stroke-dasharray="4 3"/>`);
    o.push(
      `<text x="${m.l + pw - 2}" y="${y - 3}" text-anchor="end" fill="#666">${esc(spec.hline.label)}</text>`,
    );
  }
  for (const k of spec.markers ?? []) {
    const x = sx(k.x);
    o.push(`<path d="M${x},${m.t}v${ph}" stroke="#555" stroke-dasharray="2 2"/>`);
    o.push(`<text x="${x + 3}" y="${m.t + 10}" fill="#555">${esc(k.label)}</text>`);
  }
  spec.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const pts = downsample(s.points, spec.maxPoints ?? 240);
    if (pts.length)
      o.push(
        `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')}"/>`,
      );
    const lx = m.l + (i % 4) * (pw / 4);
    const ly = m.t + ph + 46 + Math.floor(i / 4) * 13;
    o.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${c}"/><text x="${lx + 14}" y="${ly - 3}">${esc(s.name)}</text>`,
    );
  });
  o.push('</svg>');
  return o.join('\n');
}
