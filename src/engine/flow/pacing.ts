/**
 * The per-partition events/s pace `FlowController.acquire` waits on before a batch. With a lag
 * signal the rate law (rate.ts) steers it; without one it is the lowest tier of the RTT ladder
 * (aimd.ts), engaged only when a cut is due and batch size and in-flight are already at their
 * minimums (one minBatch per round trip can still be more than a slow target applies).
 */
import type { FlowControllerOptions } from './options.js';

/** Growth of the pace per increase decision (the contract's credit-window growth, ×1.25). */
const PACE_GROWTH = 1.25;

export interface PaceState {
  /** events/s; null = not paced. */
  rate: number | null;
  /** Rate at which pacing is released again (the unpaced rate when it engaged). */
  ceiling: number;
  /** Next free send time (ms, controller clock) of the pace's GCRA. */
  tatMs: number;
  /** A batch had to wait for the pace since the last decision (the pace was the binding limit). */
  bound: boolean;
}

export function newPaceState(): PaceState {
  return { rate: null, ceiling: 0, tatMs: Number.NEGATIVE_INFINITY, bound: false };
}

/** Lowest pace: one minBatch per decision period, so a paced partition never stops completely. */
export function paceFloor(o: FlowControllerOptions): number {
  return (o.minBatch * 1000) / o.lagPollIntervalMs;
}

/** Engages the pace at `measuredRate × factor` or tightens it; false when already at the floor. */
export function paceCut(
  p: PaceState,
  measuredRate: number,
  factor: number,
  o: FlowControllerOptions,
): boolean {
  const floor = paceFloor(o);
  if (p.rate === null) {
    p.ceiling = Math.max(measuredRate, floor);
    p.rate = Math.max(floor, p.ceiling * factor);
    return true;
  }
  if (p.rate <= floor) return false;
  p.rate = Math.max(floor, Math.min(p.rate, measuredRate || p.rate) * factor);
  return true;
}

/** Loosens the pace; released once it reaches its ceiling. */
export function paceIncrease(p: PaceState): boolean {
  if (p.rate === null) return false;
  p.rate *= PACE_GROWTH;
  if (p.rate >= p.ceiling) p.rate = null;
  return true;
}

/** Reserves `events` on the pace; returns the ms to wait before sending them (0 = now). */
export function paceReserve(p: PaceState, events: number, nowMs: number): number {
  if (p.rate === null) return 0;
  const start = Math.max(p.tatMs, nowMs);
  p.tatMs = start + (events * 1000) / p.rate;
  const wait = start - nowMs;
  if (wait > 0) p.bound = true;
  return wait;
}
