/**
 * Fault injection state: the active fault set, a seeded RNG (mulberry32) so tests are
 * deterministic, the remaining `faultCount`, and the apply stall deadline.
 */
import { mulberry32 } from '../sources/synthetic/prng.js';
import { defaultSimFaults, resolveSimFaults, type SimFaults } from './options.js';

export const RequestFault = {
  None: 'none',
  Drop: 'drop',
  Http429: '429',
  Http503: '503',
  Transient: 'transient',
} as const;
export type RequestFault = (typeof RequestFault)[keyof typeof RequestFault];

export class FaultState {
  faults: SimFaults = defaultSimFaults;
  rejectRe: RegExp | null = null;
  dropApplyRe: RegExp | null = null;
  duplicateApplyRe: RegExp | null = null;
  private rng: () => number = mulberry32(1);
  private remaining: number | null = null;
  /** performance.now() until which draining is stopped. */
  stallUntil = 0;
  /** Request faults injected, plus apply faults (`apply_dropped`, `apply_duplicated`, per event). */
  injected: Record<
    Exclude<RequestFault, 'none'> | 'transient_event' | 'apply_dropped' | 'apply_duplicated',
    number
  > = {
    drop: 0,
    '429': 0,
    '503': 0,
    transient: 0,
    transient_event: 0,
    apply_dropped: 0,
    apply_duplicated: 0,
  };

  constructor(initial: SimFaults) {
    this.set(initial);
  }

  /** Replaces the whole fault set (missing fields = no fault); a stall starts now. */
  set(f: SimFaults): void {
    this.faults = f;
    this.rejectRe = f.rejectPattern === null ? null : new RegExp(f.rejectPattern);
    this.dropApplyRe = f.dropApplyPattern === null ? null : new RegExp(f.dropApplyPattern);
    this.duplicateApplyRe = f.duplicateApplyPattern === null ? null : new RegExp(f.duplicateApplyPattern);
    this.rng = mulberry32(f.seed);
    this.remaining = f.faultCount;
    this.stallUntil = f.stallSeconds > 0 ? performance.now() + f.stallSeconds * 1000 : 0;
  }

  setFromJson(body: unknown): void {
    this.set(resolveSimFaults((body ?? {}) as Partial<SimFaults>));
  }

  clear(): void {
    this.set(defaultSimFaults);
  }

  stalled(nowMono: number): boolean {
    return nowMono < this.stallUntil;
  }

  /** Picks the request-level fault for one ingest request (at most one). */
  decide(): RequestFault {
    const f = this.faults;
    if (this.remaining === 0) return RequestFault.None;
    let pick: RequestFault = RequestFault.None;
    if (f.dropProbability > 0 && this.rng() < f.dropProbability) pick = RequestFault.Drop;
    else if (f.http429Probability > 0 && this.rng() < f.http429Probability) pick = RequestFault.Http429;
    else if (f.http503Probability > 0 && this.rng() < f.http503Probability) pick = RequestFault.Http503;
    else if (f.transientProbability > 0 && this.rng() < f.transientProbability) pick = RequestFault.Transient;
    if (pick !== RequestFault.None) {
      this.injected[pick]++;
      if (this.remaining !== null) this.remaining--;
    }
    return pick;
  }

  /** One event refused TransientBackpressure at random (`transientEventProbability`)? */
  eventTransient(): boolean {
    const p = this.faults.transientEventProbability;
    if (p <= 0 || !(this.rng() < p)) return false;
    this.injected.transient_event++;
    return true;
  }

  latencyMs(): number {
    const l = this.faults.latencyMs;
    if (typeof l === 'number') return l;
    return l[0] + this.rng() * (l[1] - l[0]);
  }

  view(nowMono: number): Record<string, unknown> {
    return {
      ...this.faults,
      remaining: this.remaining,
      stall_remaining_ms: Math.max(0, Math.ceil(this.stallUntil - nowMono)),
      injected: this.injected,
    };
  }
}
