/** HTTP server of the emulator (node:http, one process, one event loop). */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { REPLAY_STREAMS_PATH } from '../common/contract.js';
import { silentLogger } from '../common/logger.js';
import { handleConfig, handleReadyz, handleReplayStream, handleState } from './control-routes.js';
import { SimEngine } from './engine.js';
import { sendError, sendJson, sendText } from './http-util.js';
import { handleAppend } from './ingest-route.js';
import { LiveGenerator } from './live.js';
import { registerSimMetrics } from './metrics.js';
import { resolveSimOptions, type SimOptions, type SimOptionsInput } from './options.js';
import { collectStats, handleSim, type SimStats } from './sim-routes.js';

export interface SimServer {
  url: string;
  port: number;
  /** The emulator state, for tests (partitions, config, faults, seq streams). */
  engine: SimEngine;
  registry: Registry;
  options: SimOptions;
  stats(): SimStats;
  close(): Promise<void>;
}

async function route(
  engine: SimEngine,
  registry: Registry,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim');
  const path = url.pathname;
  const m = req.method;
  if (m === 'POST' && path === '/append/batch') return handleAppend(engine, req, res, true);
  if (m === 'POST' && path === '/append') return handleAppend(engine, req, res, false);
  if (m === 'GET' && path === '/metrics')
    return sendText(res, 200, await registry.metrics(), registry.contentType);
  if (m === 'GET' && path === '/readyz') return handleReadyz(engine, url, res);
  if (m === 'GET' && path === '/healthz') return sendJson(res, 200, { ok: true });
  if (m === 'GET' && path === '/v1/state') return handleState(engine, res);
  if (m === 'GET' && path.startsWith(REPLAY_STREAMS_PATH)) return handleReplayStream(engine, path, res);
  if (path === '/v1/config' || path === '/v1/config/rollback') return handleConfig(engine, req, res, url);
  if (path.startsWith('/sim/')) return handleSim(engine, req, res, url);
  sendError(res, 404, 'not_found', `${m} ${path}`);
}

export async function startSim(partial: SimOptionsInput = {}): Promise<SimServer> {
  const options = resolveSimOptions(partial);
  const log = options.logger ?? silentLogger();
  const registry = options.registry ?? new Registry();
  const engine = new SimEngine(options, log);
  registerSimMetrics(registry, engine);
  const live = new LiveGenerator(engine, options.liveRate);
  const server: Server = createServer((req, res) => {
    route(engine, registry, req, res).catch((e: unknown) => {
      log.error({ err: e, url: req.url }, 'sim request failed');
      if (!res.headersSent) sendError(res, 500, 'internal', (e as Error).message ?? String(e));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  engine.start();
  live.start();
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  log.debug({ url, partitions: options.partitions }, 'sim listening');
  return {
    url,
    port,
    engine,
    registry,
    options,
    stats: () => collectStats(engine),
    close: async () => {
      live.stop();
      engine.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
