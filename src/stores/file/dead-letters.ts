/**
 * Dead letters of the file store: `<state file>.dead-letters.ndjson`, one JSON line per record
 * (`"type":"dead_letter"`) or retry mark (`"type":"retry"`), appended and fsynced before a put or
 * a mark resolves. Read once, then served from memory (dead letters are few: the policy fails a
 * job after `guardrails.maxDeadLetters`). A crash mid-append can leave a torn last line that was
 * never acknowledged; it is cut off before the next append. A bad line anywhere else is corruption
 * and fails loudly.
 */
import { appendFile, readFile, truncate } from 'node:fs/promises';
import { z } from 'zod';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { DeadLetterQuery, DeadLetterRecord, StoredDeadLetter } from '../../engine/cursor.js';
import { deadLetterKey } from '../shared/dead-letter-key.js';

const decimal = z.string().regex(/^-?\d+$/);
const letterLine = z.strictObject({
  type: z.literal('dead_letter'),
  id: z.number().int().positive(),
  job: z.string(),
  partition: z.number().int(),
  eventId: z.string().nullable(),
  tsNs: decimal.nullable(),
  reason: z.string(),
  keyB64: z.string().optional(),
  payloadB64: z.string().optional(),
  schemaKey: z.string().optional(),
  raw: z.record(z.string(), z.string().nullable()).optional(),
  dedupKey: z.string(),
  createdAt: z.string(),
});
const retryLine = z.strictObject({
  type: z.literal('retry'),
  job: z.string(),
  ids: z.array(z.number().int()),
  outcome: z.string(),
  at: z.string(),
});
const line = z.discriminatedUnion('type', [letterLine, retryLine]);

interface JobLetters {
  byId: Map<number, StoredDeadLetter>;
  keys: Set<string>;
}

export class FileDeadLetters {
  #jobs: Map<string, JobLetters> | null = null;
  #nextId = 1;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  #job(job: string): JobLetters {
    const jobs = this.#jobs!;
    let j = jobs.get(job);
    if (!j) {
      j = { byId: new Map(), keys: new Set() };
      jobs.set(job, j);
    }
    return j;
  }

  async #load(): Promise<void> {
    if (this.#jobs !== null) return;
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new ReplayError(
          ErrorCode.StateRead,
          `cannot read dead letters ${this.file}: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    }
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) await truncate(this.file, Buffer.byteLength(text.slice(0, end))); // torn tail
    this.#jobs = new Map();
    const lines = text.slice(0, end).split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === '') continue;
      let parsed: z.infer<typeof line>;
      try {
        parsed = line.parse(JSON.parse(lines[i]!));
      } catch (e) {
        throw new ReplayError(
          ErrorCode.StateCorrupt,
          `dead-letter file ${this.file} is corrupt at line ${i + 1} (${(e as Error).message.slice(0, 200)}); ` +
            'fix or move that line aside: nothing in it is lost while the file is kept.',
        );
      }
      this.#apply(parsed);
    }
  }

  #apply(l: z.infer<typeof line>): void {
    if (l.type === 'retry') {
      const j = this.#job(l.job);
      for (const id of l.ids) {
        const d = j.byId.get(id);
        if (d) {
          d.retriedAt = new Date(l.at);
          d.retryOutcome = l.outcome;
        }
      }
      return;
    }
    const d: StoredDeadLetter = {
      id: l.id,
      job: l.job,
      partition: l.partition,
      eventId: l.eventId,
      tsNs: l.tsNs === null ? null : BigInt(l.tsNs),
      reason: l.reason,
      createdAt: new Date(l.createdAt),
      retriedAt: null,
      retryOutcome: null,
    };
    if (l.keyB64 !== undefined) d.key = Buffer.from(l.keyB64, 'base64');
    if (l.payloadB64 !== undefined) d.payload = Buffer.from(l.payloadB64, 'base64');
    if (l.schemaKey !== undefined) d.schemaKey = l.schemaKey;
    if (l.raw !== undefined) d.raw = l.raw;
    const j = this.#job(l.job);
    j.byId.set(l.id, d);
    j.keys.add(l.dedupKey);
    this.#nextId = Math.max(this.#nextId, l.id + 1);
  }

  /** Serialized: appends never interleave and ids stay in file order. */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn, fn);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  put(job: string, records: readonly DeadLetterRecord[]): Promise<number> {
    return this.#serial(async () => {
      await this.#load();
      const keys = this.#job(job).keys;
      const fresh = new Set<string>();
      const lines: z.infer<typeof letterLine>[] = [];
      const now = new Date().toISOString();
      let id = this.#nextId;
      for (const r of records) {
        const dedupKey = deadLetterKey(r);
        if (keys.has(dedupKey) || fresh.has(dedupKey)) continue;
        fresh.add(dedupKey);
        lines.push({
          type: 'dead_letter',
          id: id++,
          job,
          partition: r.partition,
          eventId: r.eventId,
          tsNs: r.tsNs === null ? null : r.tsNs.toString(),
          reason: r.reason,
          ...(r.key !== undefined ? { keyB64: r.key.toString('base64') } : {}),
          ...(r.payload !== undefined ? { payloadB64: r.payload.toString('base64') } : {}),
          ...(r.schemaKey !== undefined ? { schemaKey: r.schemaKey } : {}),
          ...(r.raw !== undefined ? { raw: r.raw } : {}),
          dedupKey,
          createdAt: now,
        });
      }
      if (lines.length === 0) return 0;
      await appendFile(this.file, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`, {
        mode: 0o600,
        flush: true,
      });
      for (const l of lines) this.#apply(l); // only once durable
      return lines.length;
    });
  }

  async list(job: string, q: DeadLetterQuery): Promise<StoredDeadLetter[]> {
    await this.#serial(() => this.#load());
    const ids = q.ids === undefined ? null : new Set(q.ids);
    const out: StoredDeadLetter[] = [];
    for (const d of [...(this.#jobs!.get(job)?.byId.values() ?? [])].sort((a, b) => a.id - b.id)) {
      if (out.length >= q.limit) break;
      if (q.partition !== undefined && d.partition !== q.partition) continue;
      if (q.reason !== undefined && d.reason !== q.reason) continue;
      if (ids !== null && !ids.has(d.id)) continue;
      if (q.after !== undefined && d.id <= q.after) continue;
      out.push({ ...d });
    }
    return out;
  }

  async count(job: string): Promise<number> {
    await this.#serial(() => this.#load());
    return this.#jobs!.get(job)?.byId.size ?? 0;
  }

  mark(job: string, ids: readonly number[], outcome: string): Promise<void> {
    return this.#serial(async () => {
      await this.#load();
      if (ids.length === 0) return;
      const l = { type: 'retry' as const, job, ids: [...ids], outcome, at: new Date().toISOString() };
      await appendFile(this.file, `${JSON.stringify(l)}\n`, { mode: 0o600, flush: true });
      this.#apply(l);
    });
  }

  async close(): Promise<void> {
    await this.#chain;
  }
}
