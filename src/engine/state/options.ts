/** Options of the two state stores. */
import type { Logger } from 'pino';
import type { FileOps } from './atomic.js';

export interface PgStateStoreOptions {
  url: string;
  /** Pool size; the store needs few connections (grouped commits). */
  poolMax?: number;
  /** A connect that gets no answer fails after this long. */
  connectTimeoutMs?: number;
  /** One store query (client and server side): a blackholed database fails a commit, never hangs it. */
  queryTimeoutMs?: number;
  logger?: Logger;
}

export const defaultPgStateStoreOptions = {
  poolMax: 4,
  connectTimeoutMs: 10_000,
  queryTimeoutMs: 30_000,
} satisfies Partial<PgStateStoreOptions>;

export interface FileStateStoreOptions {
  file: string;
  logger?: Logger;
  /** File-system calls used for writes; tests inject failures here. */
  fsOps?: Partial<FileOps>;
}
