/**
 * Durable cursors. A cursor is the exclusive resume position of one (job, partition):
 * `(tsNs, eventId)` plus the replay sequence number of that event, so a resumed run continues
 * the same `replay_stream` contiguously.
 */
export interface Cursor {
  partition: number;
  tsNs: bigint;
  eventId: string;
  seq: bigint;
  /** Events acknowledged so far for this partition (for progress after resume). */
  acked: bigint;
  done: boolean;
  /**
   * Stream epoch the seqs were issued under (`replay_stream = <job>/<partition>/<epoch>`,
   * contract §2). 0 = a cursor written before epochs existed (stream `<job>/<partition>`).
   */
  epoch: number;
  /**
   * The source's resume token at this position (`EventBatch.resume`, opaque here); absent for
   * sources that resume from `(tsNs, eventId)` alone. Stored and handed back with the cursor.
   */
  resume?: string;
  updatedAt?: Date;
}

export interface CursorStore {
  /** Prepare storage (migrations, directories). Safe to call concurrently from several processes. */
  init(): Promise<void>;
  load(job: string): Promise<Map<number, Cursor>>;
  /**
   * Persist several cursors at once (one transaction / one atomic file write). `audit` rows, if
   * given, are written in the same transaction (Postgres) or just before the state (file).
   * A cursor never moves backwards: one whose `(epoch, seq)` is below the stored one is not
   * written and the save rejects with `ReplayError('CURSOR_REGRESSION')` naming the partitions
   * (a second writer of the same job; the per-job lock should have stopped it first).
   */
  save(job: string, cursors: Cursor[], audit?: AuditRecord[]): Promise<void>;
  /**
   * Forget every cursor of a job (`run --restart`) and move the job to a new stream epoch, above
   * every epoch it used before (its job record's and its cursors'), in one step. A stream id is
   * never reused for a different sequence of events (contract §2). Returns the new epoch; the job
   * record (if any) carries it.
   */
  reset(job: string): Promise<number>;
  close(): Promise<void>;
}

/** One audit row (a batch, an override, an activation …), stored with the cursor save. */
export interface AuditRecord {
  kind: string;
  partition?: number;
  /** JSON-serializable detail; bigint values are stored as decimal strings. */
  detail: Record<string, unknown>;
}

/** Job state machine: planned → running → paused → draining → done | failed. */
export const JobState = {
  Planned: 'planned',
  Running: 'running',
  Paused: 'paused',
  Draining: 'draining',
  Done: 'done',
  Failed: 'failed',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

/** Job metadata: `run` compares `specHash` and refuses to resume a changed job (`--restart`). */
export interface JobRecord {
  specHash: string;
  state: JobState;
  /**
   * Stream epoch of the partitions that start from scratch (no cursor). Bumped by `reset`; a
   * partition with a cursor keeps the cursor's epoch. 0 = legacy streams without an epoch.
   */
  epoch: number;
  /** Why the last run failed (one line), when it did. */
  error?: string;
  createdAt: Date;
  updatedAt: Date;
  summary?: Record<string, unknown>;
}

export interface JobStore {
  getJob(job: string): Promise<JobRecord | null>;
  putJob(job: string, record: JobRecord): Promise<void>;
}

/**
 * An event that was not (or could not be) delivered: a poison source row, an event that failed a
 * client-side check, or one the target refused permanently. Kept with the reason and whatever
 * bytes it has; nothing is dropped silently.
 */
export interface DeadLetterRecord {
  job: string;
  partition: number;
  eventId: string | null;
  tsNs: bigint | null;
  reason: string;
  key?: Buffer;
  payload?: Buffer;
  schemaKey?: string;
  /** The source row's columns as text (poison rows). */
  raw?: Record<string, string | null>;
}

/** A stored dead letter: its id (ascending in insertion order) and retry state. */
export interface StoredDeadLetter extends DeadLetterRecord {
  id: number;
  createdAt: Date;
  retriedAt: Date | null;
  /** `sent`, or the reason of the last failed retry; null when never retried. */
  retryOutcome: string | null;
}

export interface DeadLetterQuery {
  partition?: number;
  reason?: string;
  /** Only these ids. */
  ids?: readonly number[];
  /** Only ids greater than this (keyset paging). */
  after?: number;
  limit: number;
}

export interface DeadLetterStore {
  /**
   * Persist dead letters durably (one transaction / one fsynced append). Idempotent: a record equal
   * to one already stored for the job (same partition, reason, id, time, bytes and raw row, e.g.
   * a poison row re-read after a resume) is not stored twice. Returns how many were new.
   */
  putDeadLetters(job: string, records: readonly DeadLetterRecord[]): Promise<number>;
  /** Ascending by id. */
  listDeadLetters(job: string, query: DeadLetterQuery): Promise<StoredDeadLetter[]>;
  countDeadLetters(job: string): Promise<number>;
  /** Record the outcome of a retry (`sent` or the new rejection reason) on each id. */
  markDeadLettersRetried(job: string, ids: readonly number[], outcome: string): Promise<void>;
}

/** Who holds a run lock: enough for an operator to find the process. */
export interface LockHolder {
  job: string;
  host: string;
  pid: number;
  since: Date;
  /** Last sign of life (Postgres: heartbeat row; file: the lock file's mtime). */
  heartbeatAt?: Date;
  /** Postgres only: the server process holding the advisory lock (`pg_terminate_backend` target). */
  backendPid?: number;
}

/** An exclusive run lock, held for the life of a run (`StateStore.lock`). */
export interface RunLock {
  /**
   * Aborts when the lock can no longer be guaranteed (its Postgres session ended and could not be
   * taken again): the run must stop writing. `reason` is a ReplayError('LOCK_LOST').
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface LockStore {
  /**
   * Take the exclusive lock for `job` (Postgres: per job; file store: per state file, since every
   * job in the file is rewritten together). Rejects at once with ReplayError('JOB_LOCKED'), whose
   * `details.holder` is a LockHolder, when another live process holds it.
   */
  lock(job: string): Promise<RunLock>;
}

/** What `createStateStore` returns: cursors, job metadata, dead letters and run locks. */
export interface StateStore extends CursorStore, JobStore, DeadLetterStore, LockStore {}
