/** The emulator's ground truth and fault switches over loopback HTTP (`/sim/*`, `/v1/config`). */

/** Fault set accepted by `POST /sim/faults` (src/sim/options.ts `SimFaults`, any subset). */
export interface FaultBody {
  transientProbability?: number;
  http429Probability?: number;
  http503Probability?: number;
  retryAfterMs?: number;
  dropProbability?: number;
  latencyMs?: number | [number, number];
  stallSeconds?: number;
  seed?: number;
}

export interface PartitionTruth {
  partition_id: number;
  committed: number;
  applied: number;
  late_dropped: number;
  duplicates_event_id: number;
  duplicates_replay_seq: number;
  replay_out_of_order: number;
  applied_twice: number;
  queue_depth: number;
  transient: Record<string, number>;
  rejected: Record<string, number>;
}

export interface SimTruth {
  partitions: PartitionTruth[];
  faults_injected: Record<string, number>;
}

export class SimClient {
  constructor(readonly url: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  }

  async stats(): Promise<SimTruth> {
    return (await this.call('GET', '/sim/stats')) as SimTruth;
  }

  async setFaults(f: FaultBody): Promise<void> {
    await this.call('POST', '/sim/faults', f);
  }

  async clearFaults(): Promise<void> {
    await this.call('DELETE', '/sim/faults');
  }

  async reset(): Promise<void> {
    await this.call('POST', '/sim/reset');
  }

  /** Hot knob change (contract §6): the apply rate of every partition. */
  async setApplyRate(eventsPerSec: number): Promise<void> {
    await this.call('PATCH', '/v1/config', { apply_rate: eventsPerSec });
  }

  /** Event ids of one partition in apply order. */
  async applied(partition: number): Promise<string[]> {
    const res = await fetch(`${this.url}/sim/applied?partition=${partition}`);
    if (!res.ok) throw new Error(`GET /sim/applied: HTTP ${res.status}`);
    const ids: string[] = [];
    for (const line of (await res.text()).split('\n')) {
      if (line.trim()) ids.push((JSON.parse(line) as { event_id: string }).event_id);
    }
    return ids;
  }

  /** Waits until every committed event is applied (or the deadline passes). */
  async settle(timeoutMs = 60_000): Promise<SimTruth> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (s.partitions.every((p) => p.queue_depth === 0) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Sums of the counters the harness watches (one `/sim/stats` sample). */
export interface TruthSums {
  committed: number;
  applied: number;
  duplicates: number;
  /** Any ingest activity: committed, duplicate, refused or fault-hit requests/events. */
  activity: number;
}

export function sums(s: SimTruth): TruthSums {
  let committed = 0;
  let applied = 0;
  let duplicates = 0;
  let other = 0;
  for (const p of s.partitions) {
    committed += p.committed;
    applied += p.applied;
    duplicates += p.duplicates_replay_seq + p.duplicates_event_id;
    for (const n of Object.values(p.transient)) other += n;
    for (const n of Object.values(p.rejected)) other += n;
  }
  for (const n of Object.values(s.faults_injected)) other += n;
  return { committed, applied, duplicates, activity: committed + duplicates + other };
}
