/** Options of the Postgres adapters: the state store, its run lock, and the pane store. */
import type pg from 'pg';
import type { Logger } from '../../common/logger.js';

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

export interface PgLockOptions {
  url: string;
  /** Client settings shared with the store's pool (timeouts, keep-alive). */
  clientConfig: pg.ClientConfig;
  logger?: Logger;
  /** Turns a failure to connect into the store's one-line outage error. */
  classifyConnectError?: (e: unknown) => unknown;
  /** How often the holder stamps `locks.heartbeat_at`. */
  heartbeatMs?: number;
  /** How long to wait for a holder on this host whose process is gone (its session closing). */
  goneGraceMs?: number;
}

export const defaultPgLockOptions = {
  heartbeatMs: 10_000,
  goneGraceMs: 5_000,
} satisfies Partial<PgLockOptions>;

export interface PgPaneStoreOptions {
  url: string;
  /** Pool size: a fold is written in one transaction at the end of a run, read once by verify. */
  poolMax?: number;
  connectTimeoutMs?: number;
  /** A whole fold is written in one statement: allow more than a cursor commit. */
  queryTimeoutMs?: number;
  logger?: Logger;
}

export const defaultPgPaneStoreOptions = {
  poolMax: 2,
  connectTimeoutMs: 10_000,
  queryTimeoutMs: 120_000,
} satisfies Partial<PgPaneStoreOptions>;
