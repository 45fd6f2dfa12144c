/**
 * Source-side folds next to a file state store: `<state file>.panes.ndjson`, one JSON object per
 * line — `{"t":"status",…}` per (job, partition) and `{"t":"pane",…}` per (job, partition, metric,
 * pane). Every write replaces the whole file atomically (temp file + fsync + rename), so a fold
 * and its coverage never disagree after a crash. One process per file, like the state file.
 */
import { readFile } from 'node:fs/promises';
import type { FoldStatus, FoldWrite, PaneStore } from '../../engine/verify/types.js';
import { compareEntries, type PaneEntry } from '../../monoid/index.js';
import { type StatusRow, statusFromRow, statusToRow } from '../shared/fold-status.js';
import { writeFileAtomic } from './atomic.js';
import type { FilePaneStoreOptions } from './options.js';

interface StatusLine extends StatusRow {
  t: 'status';
  job: string;
}

interface PaneLine extends PaneEntry {
  t: 'pane';
  job: string;
}

type Line = StatusLine | PaneLine;

export class FilePaneStore implements PaneStore {
  readonly file: string;
  #lines: Line[] | null = null;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: FilePaneStoreOptions) {
    this.file = `${options.file}.panes.ndjson`;
  }

  async init(): Promise<void> {
    await this.#load();
  }

  async #load(): Promise<Line[]> {
    if (this.#lines !== null) return this.#lines;
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    this.#lines = text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Line);
    return this.#lines;
  }

  async statuses(job: string): Promise<Map<number, FoldStatus>> {
    const out = new Map<number, FoldStatus>();
    for (const l of await this.#load()) {
      if (l.t !== 'status' || l.job !== job) continue;
      out.set(l.partition, statusFromRow(l));
    }
    return out;
  }

  async entries(job: string, partition: number, fromPane?: bigint): Promise<PaneEntry[]> {
    const out: PaneEntry[] = [];
    for (const l of await this.#load()) {
      if (l.t !== 'pane' || l.job !== job || l.partition !== partition) continue;
      if (fromPane !== undefined && BigInt(l.pane) < fromPane) continue;
      out.push({ partition, metric: l.metric, pane: l.pane, state: l.state });
    }
    return out.sort(compareEntries);
  }

  write(job: string, writes: readonly FoldWrite[]): Promise<void> {
    const next = this.#chain.then(() => this.#write(job, writes));
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #write(job: string, writes: readonly FoldWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const lines = await this.#load();
    const touched = new Set(writes.map((w) => w.status.partition));
    const cleared = new Set(writes.filter((w) => w.clear).map((w) => w.status.partition));
    const ups = new Map<string, PaneEntry>();
    for (const w of writes) for (const e of w.upsert) ups.set(`${e.partition}|${e.metric}|${e.pane}`, e);
    const kept = lines.filter((l) => {
      if (l.job !== job || !touched.has(l.partition)) return true;
      if (l.t === 'status') return false;
      return !cleared.has(l.partition) && !ups.has(`${l.partition}|${l.metric}|${l.pane}`);
    });
    for (const w of writes) {
      kept.push({ t: 'status', job, ...statusToRow(w.status) });
    }
    for (const e of ups.values()) kept.push({ t: 'pane', job, ...e });
    await writeFileAtomic(this.file, kept.map((l) => `${JSON.stringify(l)}\n`).join(''));
    this.#lines = kept;
  }

  async close(): Promise<void> {
    await this.#chain;
  }
}
