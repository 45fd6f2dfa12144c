/**
 * Live-traffic generator: `liveRate` events/s across all partitions, stamped now, random keys
 * routed by FNV like ingest, committed through the same ring and live dedup table (so they move
 * max_ts_seen and the watermark exactly as live clients would). Not REPLAY; counted apart.
 */
import { partitionForKey } from '../common/fnv.js';
import type { SimEngine } from './engine.js';
import { nowTs, type TsPair } from './ts.js';
import { EventKind } from './types.js';

const TICK_MS = 10;

export class LiveGenerator {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private carry = 0;
  private seq = 0;
  private readonly ts: TsPair = { ms: 0, sub: 0 };

  constructor(
    private readonly engine: SimEngine,
    private readonly rate: number,
  ) {}

  start(): void {
    if (this.rate <= 0) return;
    this.last = performance.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    const now = performance.now();
    // At most 100 ms worth per tick, so a blocked event loop does not produce a burst.
    this.carry += (this.rate * Math.min(now - this.last, 100)) / 1000;
    this.last = now;
    const n = Math.floor(this.carry);
    this.carry -= n;
    const e = this.engine;
    for (let i = 0; i < n; i++) {
      const pid = partitionForKey(`live-key-${Math.floor(Math.random() * 1_000_000)}`, e.partitionCount);
      const p = e.partitions[pid]!;
      if (p.full) {
        e.liveRefused++;
        continue;
      }
      nowTs(this.ts);
      const id = `live-${++this.seq}`;
      p.enqueue(id, this.ts.ms, this.ts.sub, 0, EventKind.Live, now, -1, 0, undefined);
      p.idTable.rememberLive(id, 0);
      e.liveGenerated++;
    }
  }
}
