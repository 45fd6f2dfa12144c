/** Test helpers for the CEPtra client: a scripted transport, events, a fake clock. */
import { ErrorCode, ReplayError } from '../../../src/common/errors.js';
import type {
  CeptraTransport,
  TransportRequest,
  TransportResponse,
} from '../../../src/sinks/ceptra/index.js';
import type { SourceEvent } from '../../../src/sources/source.js';

export type Scripted = TransportResponse | Error | ((req: TransportRequest) => TransportResponse | Error);

/** Returns the scripted responses in order and records every request it saw. */
export class ScriptedTransport implements CeptraTransport {
  readonly requests: TransportRequest[] = [];
  private cursor = 0;
  constructor(private readonly script: Scripted[]) {}

  async request(req: TransportRequest): Promise<TransportResponse> {
    if (this.cursor >= this.script.length) {
      throw new ReplayError(ErrorCode.Bug, `scripted responses exhausted at request ${this.cursor + 1}`);
    }
    this.requests.push(req);
    let next = this.script[this.cursor++]!;
    if (typeof next === 'function') next = next(req);
    if (next instanceof Error) throw next;
    return next;
  }

  async close(): Promise<void> {}

  /** Bodies of the recorded requests parsed as JSON (single `/append`). */
  jsonBodies(): Array<Record<string, unknown>> {
    return this.requests.map((r) => JSON.parse(bodyText(r) || 'null') as Record<string, unknown>);
  }
}

/** A recorded request's body as text. */
export function bodyText(r: TransportRequest): string {
  return r.body === undefined
    ? ''
    : typeof r.body === 'string'
      ? r.body
      : Buffer.from(r.body).toString('utf8');
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): TransportResponse {
  return { status, headers, body: JSON.stringify(body) };
}

export function makeEvents(
  n: number,
  opts: { keys?: number; prefix?: string; payloadBytes?: number } = {},
): SourceEvent[] {
  const keys = opts.keys ?? 1;
  return Array.from({ length: n }, (_, i) => ({
    tsNs: 1_700_000_000_000_000_000n + BigInt(i) * 1_000n,
    eventId: `${opts.prefix ?? 'e'}-${i}`,
    key: Buffer.from(`tenant-${i % keys}`),
    payload: Buffer.from(`payload-${i}-`.padEnd(opts.payloadBytes ?? 16, 'x')),
    schemaKey: 'proto:1.0:abc123',
  }));
}

export class FakeClock {
  t = 0;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A sleep that records the requested delay and resolves at once. */
export function recordingSleep(): {
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  delays: number[];
} {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw new ReplayError('ABORTED', 'aborted');
      delays.push(ms);
    },
  };
}
