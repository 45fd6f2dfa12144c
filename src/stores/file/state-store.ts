/**
 * Cursor and job state in one JSON file, for runs without Postgres (demo, ndjson sources).
 * Every mutation rewrites the file atomically (temp file + fsync + rename + directory fsync) and
 * mutations are serialized in-process, so concurrent `save` calls never interleave or lose an
 * update. Audit rows are appended (and fsynced) to `<file>.audit.ndjson` before the state file
 * is replaced: a crash may leave an audit row for a cursor that was not saved, never the reverse.
 * Dead letters live in `<file>.dead-letters.ndjson` (dead-letters.ts).
 * One process per file: a run holds `<file>.lock` (run-lock.ts) for its whole life.
 */
import { appendFile, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type {
  AuditRecord,
  Cursor,
  DeadLetterQuery,
  DeadLetterRecord,
  JobRecord,
  RunLock,
  StateStore,
  StoredDeadLetter,
} from '../../engine/cursor.js';
import { cursorMayMove, cursorRegression } from '../shared/cursor-guard.js';
import { stringifyJson } from '../shared/json.js';
import { defaultFileOps, type FileOps, writeFileAtomic } from './atomic.js';
import { FileDeadLetters } from './dead-letters.js';
import type { FileStateStoreOptions } from './options.js';
import { takeFileLock } from './run-lock.js';
import { emptyStateFile, parseStateFile, type StateFile } from './state-format.js';

function jobEntry(draft: StateFile, job: string): StateFile['jobs'][string] {
  const existing = draft.jobs[job];
  if (existing) return existing;
  const created = { cursors: {} };
  draft.jobs[job] = created;
  return created;
}

export class FileStateStore implements StateStore {
  readonly file: string;
  readonly auditFile: string;
  /** `<file>.dead-letters.ndjson`: appended and fsynced, see dead-letters.ts. */
  readonly deadLetterFile: string;
  readonly #deadLetters: FileDeadLetters;
  readonly #ops: FileOps;
  readonly #logger: FileStateStoreOptions['logger'];
  #state: StateFile | null = null;
  /** Tail of the mutation queue: each mutation starts after the previous one settled. */
  #chain: Promise<unknown> = Promise.resolve();

  constructor(options: FileStateStoreOptions) {
    this.file = options.file;
    this.auditFile = `${options.file}.audit.ndjson`;
    this.deadLetterFile = `${options.file}.dead-letters.ndjson`;
    this.#deadLetters = new FileDeadLetters(this.deadLetterFile);
    this.#ops = { ...defaultFileOps, ...options.fsOps };
    this.#logger = options.logger;
  }

  async init(): Promise<void> {
    await this.#ops.mkdir(dirname(this.file), { recursive: true });
    this.#state = await this.#read();
  }

  async #read(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyStateFile();
      throw new ReplayError(
        ErrorCode.StateRead,
        `cannot read state file ${this.file}: ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
    const parsed = parseStateFile(text);
    if (typeof parsed === 'string') {
      throw new ReplayError(
        ErrorCode.StateCorrupt,
        `state file ${this.file} is corrupt (${parsed}); it cannot be used to resume. ` +
          'Run with --restart to move it aside and start the job over under a new replay stream.',
        { details: { file: this.file } },
      );
    }
    return parsed;
  }

  /**
   * Moves a corrupt state file aside (`<file>.corrupt-<time>`) and starts from an empty state:
   * `run --restart` on a file that cannot be trusted. Returns where it went.
   */
  async quarantine(): Promise<string> {
    await this.#chain;
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await rename(this.file, aside);
    this.#state = emptyStateFile();
    return aside;
  }

  async #current(): Promise<StateFile> {
    this.#state ??= await this.#read();
    return this.#state;
  }

  /** Runs `fn` on a copy of the state after every earlier mutation, writes it, then adopts it. */
  #mutate(fn: (draft: StateFile) => void, before?: () => Promise<void>): Promise<void> {
    const run = async () => {
      const draft = structuredClone(await this.#current());
      fn(draft);
      await before?.();
      await writeFileAtomic(this.file, `${stringifyJson(draft, 1)}\n`, this.#ops);
      this.#state = draft;
    };
    const p = this.#chain.then(run, run);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  async load(job: string): Promise<Map<number, Cursor>> {
    await this.#chain;
    const out = new Map<number, Cursor>();
    const stored = (await this.#current()).jobs[job]?.cursors ?? {};
    for (const [p, c] of Object.entries(stored)) {
      const partition = Number(p);
      out.set(partition, {
        partition,
        tsNs: BigInt(c.tsNs),
        eventId: c.eventId,
        seq: BigInt(c.seq),
        acked: BigInt(c.acked),
        done: c.done,
        epoch: c.epoch ?? 0,
        ...(c.resume === undefined ? {} : { resume: c.resume }),
        updatedAt: new Date(c.updatedAt),
      });
    }
    return new Map([...out].sort((a, b) => a[0] - b[0]));
  }

  save(job: string, cursors: Cursor[], audit: AuditRecord[] = []): Promise<void> {
    if (cursors.length === 0 && audit.length === 0) return this.#chain.then(() => undefined);
    const now = new Date().toISOString();
    const appendAudit = async () => {
      if (audit.length === 0) return;
      const lines = audit.map((a) => stringifyJson({ job, ...a, createdAt: now })).join('\n');
      await appendFile(this.auditFile, `${lines}\n`, { mode: 0o600, flush: true });
    };
    return this.#mutate((draft) => {
      const entry = jobEntry(draft, job);
      const refused: Cursor[] = [];
      for (const c of cursors) {
        const stored = entry.cursors[String(c.partition)];
        if (stored && !cursorMayMove({ epoch: stored.epoch ?? 0, seq: BigInt(stored.seq) }, c)) {
          refused.push(c);
          continue;
        }
        entry.cursors[String(c.partition)] = {
          tsNs: c.tsNs.toString(),
          eventId: c.eventId,
          seq: c.seq.toString(),
          acked: c.acked.toString(),
          done: c.done,
          epoch: c.epoch,
          ...(c.resume === undefined ? {} : { resume: c.resume }),
          updatedAt: now,
        };
      }
      if (refused.length > 0) throw cursorRegression(job, refused);
    }, appendAudit);
  }

  async reset(job: string): Promise<number> {
    let epoch = 1;
    await this.#mutate((draft) => {
      const entry = draft.jobs[job];
      if (!entry) return;
      let top = entry.meta?.epoch ?? 0;
      for (const c of Object.values(entry.cursors)) top = Math.max(top, c.epoch ?? 0);
      epoch = top + 1;
      entry.cursors = {};
      if (entry.meta) entry.meta.epoch = epoch;
    });
    return epoch;
  }

  lock(job: string): Promise<RunLock> {
    return takeFileLock(this.file, job, this.#logger ? { logger: this.#logger } : {});
  }

  async getJob(job: string): Promise<JobRecord | null> {
    await this.#chain;
    const meta = (await this.#current()).jobs[job]?.meta;
    if (!meta) return null;
    const rec: JobRecord = {
      specHash: meta.specHash,
      state: meta.state,
      epoch: meta.epoch ?? 0,
      createdAt: new Date(meta.createdAt),
      updatedAt: new Date(meta.updatedAt),
    };
    if (meta.summary !== undefined) rec.summary = meta.summary;
    if (meta.error !== undefined) rec.error = meta.error;
    return rec;
  }

  putJob(job: string, record: JobRecord): Promise<void> {
    return this.#mutate((draft) => {
      const entry = jobEntry(draft, job);
      entry.meta = {
        specHash: record.specHash,
        state: record.state,
        epoch: record.epoch,
        ...(record.error === undefined ? {} : { error: record.error }),
        createdAt: record.createdAt.toISOString(),
        updatedAt: record.updatedAt.toISOString(),
        ...(record.summary === undefined ? {} : { summary: JSON.parse(stringifyJson(record.summary)) }),
      };
    });
  }

  putDeadLetters(job: string, records: readonly DeadLetterRecord[]): Promise<number> {
    return this.#deadLetters.put(job, records);
  }

  listDeadLetters(job: string, query: DeadLetterQuery): Promise<StoredDeadLetter[]> {
    return this.#deadLetters.list(job, query);
  }

  countDeadLetters(job: string): Promise<number> {
    return this.#deadLetters.count(job);
  }

  markDeadLettersRetried(job: string, ids: readonly number[], outcome: string): Promise<void> {
    return this.#deadLetters.mark(job, ids, outcome);
  }

  async close(): Promise<void> {
    await this.#chain;
    await this.#deadLetters.close();
  }
}
