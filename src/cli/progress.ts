/**
 * Progress for operators: a live bar with totals, rate and ETA on a terminal; one structured JSON
 * log line per second otherwise (CI, systemd, kubectl logs).
 */
import cliProgress from 'cli-progress';
import { ProgressSampler } from '../app/index.js';
import type { Logger } from '../common/logger.js';
import type { PartitionProgress } from '../engine/job-runner.js';

export interface ProgressSource {
  snapshot(): {
    events: number;
    bytes: number;
    elapsedMs: number;
    inflight: number;
    partitions: PartitionProgress[];
  };
}

export interface ProgressOptions {
  total: number;
  tty: boolean;
  logger: Logger;
  intervalMs?: number;
  /** No acknowledged event for this long (with events left) = stalled: no ETA is shown. */
  stallAfterMs?: number;
  now?: () => number;
}

function countStates(parts: PartitionProgress[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of parts) out[p.state] = (out[p.state] ?? 0) + 1;
  return out;
}

export function formatDuration(sec: number): string {
  if (!Number.isFinite(sec) || sec < 0) return '?';
  const s = Math.round(sec);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, '0')}m`
    : m > 0
      ? `${m}m${String(r).padStart(2, '0')}s`
      : `${r}s`;
}

/** Starts reporting; returns a stop function that prints the last state. */
export function startProgress(src: ProgressSource, opts: ProgressOptions): () => void {
  const interval = opts.intervalMs ?? (opts.tty ? 200 : 1000);
  const sampler = new ProgressSampler(opts.total, opts.stallAfterMs, opts.now);
  const sample = () => {
    const snap = src.snapshot();
    return { snap, ...sampler.sample(snap.events) };
  };
  const etaText = (eta: number | null, stalled: boolean, stalledMs: number) =>
    stalled ? `stalled ${formatDuration(stalledMs / 1000)}` : eta === null ? '?' : formatDuration(eta);

  if (opts.tty) {
    const bar = new cliProgress.SingleBar(
      {
        format:
          ' replay |{bar}| {percentage}% | {value}/{total} events | {rate} ev/s | ETA {etaText} | {parts}',
        hideCursor: true,
        barsize: 30,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(1, opts.total), 0, { rate: 0, etaText: '?', parts: '' });
    const timer = setInterval(() => {
      const { snap, rate: r, eta, stalled, stalledMs } = sample();
      const st = countStates(snap.partitions);
      const parts = Object.entries(st)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      bar.update(Math.min(snap.events, Math.max(1, opts.total)), {
        rate: Math.round(r),
        etaText: etaText(eta, stalled, stalledMs),
        parts,
      });
    }, interval);
    return () => {
      clearInterval(timer);
      const { snap } = sample();
      bar.update(Math.min(snap.events, Math.max(1, opts.total)));
      bar.stop();
    };
  }

  const emit = () => {
    const { snap, rate: r, eta, stalled, stalledMs } = sample();
    opts.logger.info(
      {
        progress: {
          events: snap.events,
          total: opts.total,
          pct: opts.total > 0 ? Math.round((snap.events / opts.total) * 1000) / 10 : 100,
          eventsPerSec: Math.round(r),
          etaSeconds: eta === null ? null : Math.round(eta),
          ...(stalled ? { stalled: true, stalledSeconds: Math.round(stalledMs / 1000) } : {}),
          inflight: snap.inflight,
          partitions: countStates(snap.partitions),
        },
      },
      'progress',
    );
  };
  const timer = setInterval(emit, interval);
  timer.unref();
  return () => {
    clearInterval(timer);
    emit();
  };
}
