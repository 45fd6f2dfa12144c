/**
 * Control of running partition tasks through one SharedArrayBuffer: per slot, the live knobs
 * (batch size, batches in flight) and flags (pause, stop, abort, test-only crash). The main
 * thread writes; a worker reads before every batch, so a change takes effect within one batch
 * without a message round trip.
 */
import type { PartitionKnobs } from '../types.js';

const FIELDS = 8;
const F = { batchSize: 0, maxInFlight: 1, pause: 2, stop: 3, abort: 4, crashAfterAcks: 5 } as const;

export class ControlBlock {
  readonly view: Int32Array;

  constructor(slotsOrBuffer: number | SharedArrayBuffer) {
    const buf =
      typeof slotsOrBuffer === 'number'
        ? new SharedArrayBuffer(Math.max(1, slotsOrBuffer) * FIELDS * Int32Array.BYTES_PER_ELEMENT)
        : slotsOrBuffer;
    this.view = new Int32Array(buf);
  }

  get buffer(): SharedArrayBuffer {
    return this.view.buffer as SharedArrayBuffer;
  }

  private at(slot: number, f: number): number {
    return slot * FIELDS + f;
  }

  setKnobs(slot: number, k: PartitionKnobs): void {
    Atomics.store(this.view, this.at(slot, F.batchSize), k.batchSize);
    Atomics.store(this.view, this.at(slot, F.maxInFlight), k.maxInFlight);
  }

  /** A knobs object whose reads go to shared memory (what a worker's runner reads per batch). */
  knobs(slot: number): PartitionKnobs {
    const v = this.view;
    const b = this.at(slot, F.batchSize);
    const m = this.at(slot, F.maxInFlight);
    return {
      get batchSize() {
        return Atomics.load(v, b);
      },
      set batchSize(x: number) {
        Atomics.store(v, b, x);
      },
      get maxInFlight() {
        return Atomics.load(v, m);
      },
      set maxInFlight(x: number) {
        Atomics.store(v, m, x);
      },
    };
  }

  setFlag(slot: number, flag: 'pause' | 'stop' | 'abort', on: boolean): void {
    Atomics.store(this.view, this.at(slot, F[flag]), on ? 1 : 0);
  }

  flag(slot: number, flag: 'pause' | 'stop' | 'abort'): boolean {
    return Atomics.load(this.view, this.at(slot, F[flag])) === 1;
  }

  /** Test hook: the worker running this slot exits its thread after N acknowledged batches. */
  setCrashAfterAcks(slot: number, n: number): void {
    Atomics.store(this.view, this.at(slot, F.crashAfterAcks), n);
  }

  crashAfterAcks(slot: number): number {
    return Atomics.load(this.view, this.at(slot, F.crashAfterAcks));
  }
}
