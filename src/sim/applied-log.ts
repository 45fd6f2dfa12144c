/**
 * Apply-order log of one partition, kept compact for millions of events: parallel typed arrays
 * (ts as ms + sub-ms ns, interned flag set) plus the id strings the ingest path already holds.
 * ~14 B/event of arrays + the id string (≈ 40 B for a 20-char id).
 */
import { formatTsNs } from './ts.js';

/** Interned flag sets: index → JSON text of the flags array (ingest sees only a handful). */
export class FlagTable {
  private readonly byKey = new Map<string, number>([['[]', 0]]);
  readonly json: string[] = ['[]'];

  private replayOnly = -1;

  intern(flags: readonly string[] | undefined): number {
    // Fast paths for the two shapes seen on every event (none, ["REPLAY"]): no JSON.stringify.
    if (flags === undefined || flags === null || flags.length === 0) return 0;
    if (flags.length === 1 && flags[0] === 'REPLAY' && this.replayOnly >= 0) return this.replayOnly;
    const key = JSON.stringify(flags);
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.json.length;
      if (id > 0xffff) throw new RangeError('too many distinct flag sets (> 65535)');
      this.json.push(key);
      this.byKey.set(key, id);
      if (key === '["REPLAY"]') this.replayOnly = id;
    }
    return id;
  }
}

export class AppliedLog {
  private ids: string[] = [];
  private tsMs = new Float64Array(1024);
  private tsSub = new Int32Array(1024);
  private flags = new Uint16Array(1024);
  length = 0;

  push(id: string, ms: number, sub: number, flagSet: number): void {
    const n = this.length;
    if (n === this.tsMs.length) this.grow(n * 2);
    this.ids.push(id);
    this.tsMs[n] = ms;
    this.tsSub[n] = sub;
    this.flags[n] = flagSet;
    this.length = n + 1;
  }

  /** NDJSON lines [from, to): `{event_id, ts_ns, flags}`. */
  lines(from: number, to: number, flagTable: FlagTable): string {
    let out = '';
    for (let i = from; i < to; i++) {
      out +=
        '{"event_id":' +
        JSON.stringify(this.ids[i]) +
        ',"ts_ns":"' +
        formatTsNs(this.tsMs[i]!, this.tsSub[i]!) +
        '","flags":' +
        flagTable.json[this.flags[i]!] +
        '}\n';
    }
    return out;
  }

  clear(): void {
    this.ids = [];
    this.tsMs = new Float64Array(1024);
    this.tsSub = new Int32Array(1024);
    this.flags = new Uint16Array(1024);
    this.length = 0;
  }

  private grow(cap: number): void {
    const ms = new Float64Array(cap);
    ms.set(this.tsMs);
    this.tsMs = ms;
    const sub = new Int32Array(cap);
    sub.set(this.tsSub);
    this.tsSub = sub;
    const fl = new Uint16Array(cap);
    fl.set(this.flags);
    this.flags = fl;
  }
}
