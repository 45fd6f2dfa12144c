/**
 * Control-plane client (contract §5, §6): `/v1/state`, `/v1/config` (+ rollback), `/readyz`,
 * `/metrics`. One attempt per call; the callers (config manager, flow controller) own retries.
 */
import { ErrorCode, ReplayError } from '../../common/errors.js';
import type { CeptraTransport, HttpMethod, TransportResponse } from './types.js';

export interface ConfigPatchResult {
  version: number;
  impact: 'Hot' | 'Reconfigure' | 'Restart' | string;
  changed_keys: string[];
  duration_ms: number | string;
  [k: string]: unknown;
}

/** `/readyz` body: ready flag, reasons, partitions as an object (spec) or array (code). */
export interface ReadyzBody {
  ready: boolean;
  reasons?: string[];
  partitions?: Record<string, unknown> | unknown[];
  [k: string]: unknown;
}

export class CeptraControlClient {
  constructor(private readonly transport: CeptraTransport) {}

  private async call(
    method: HttpMethod,
    path: string,
    body?: unknown,
    okStatuses: number[] = [],
  ): Promise<TransportResponse> {
    let res: TransportResponse;
    try {
      res = await this.transport.request({
        method,
        path,
        ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
      });
    } catch (e) {
      throw new ReplayError(
        ErrorCode.ControlUnreachable,
        `CEPtra ${method} ${path} failed: ${(e as Error).message}`,
        {
          canRetry: true,
          cause: e,
        },
      );
    }
    if ((res.status < 200 || res.status >= 300) && !okStatuses.includes(res.status)) {
      throw new ReplayError(
        `CONTROL_HTTP_${res.status}`,
        `CEPtra ${method} ${path} answered HTTP ${res.status}: ${res.body.slice(0, 500)}`,
        {
          canRetry: res.status >= 500 || res.status === 429,
          details: { status: res.status, path },
        },
      );
    }
    return res;
  }

  private json<T>(res: TransportResponse, path: string): T {
    try {
      return JSON.parse(res.body) as T;
    } catch (e) {
      throw new ReplayError(
        ErrorCode.BadResponse,
        `CEPtra ${path} answered non-JSON: ${res.body.slice(0, 200)}`,
        {
          cause: e,
        },
      );
    }
  }

  /** `GET /v1/state`; null when the target does not serve it (404). */
  async getState(): Promise<Record<string, unknown> | null> {
    const res = await this.call('GET', '/v1/state', undefined, [404]);
    return res.status === 404 ? null : this.json(res, '/v1/state');
  }

  /** Replay sequencing support: `replay_sequencing === true`; absent / 404 → false. */
  async supportsSequencing(): Promise<boolean> {
    const state = await this.getState();
    return state !== null && state.replay_sequencing === true;
  }

  async getConfig(): Promise<Record<string, unknown>> {
    return this.json(await this.call('GET', '/v1/config'), '/v1/config');
  }

  async patchConfig(body: Record<string, unknown>): Promise<ConfigPatchResult> {
    return this.json(await this.call('PATCH', '/v1/config', body), '/v1/config');
  }

  async rollbackConfig(version: number): Promise<ConfigPatchResult> {
    const path = `/v1/config/rollback?to=${encodeURIComponent(String(version))}`;
    return this.json(await this.call('POST', path), path);
  }

  /** `GET /readyz`; a 503 "not ready" answer still carries the JSON body. */
  async getReadyz(): Promise<ReadyzBody> {
    return this.json(await this.call('GET', '/readyz', undefined, [503]), '/readyz');
  }

  /** Raw `GET path` with whatever status it answers (the lag poller reads 404s and 503s itself). */
  async fetchText(path: string): Promise<{ status: number; body: string }> {
    const res = await this.transport.request({ method: 'GET', path });
    return { status: res.status, body: res.body };
  }

  /** Prometheus exposition text of `GET /metrics`. */
  async getMetricsText(): Promise<string> {
    return (await this.call('GET', '/metrics')).body;
  }
}
