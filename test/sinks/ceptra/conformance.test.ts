/**
 * CEPtra's own SDK conformance scenarios (shared/fixtures/ceptra-sdk-throttles.json), run through
 * the sink the replay actually uses — `CeptraSink.send` in both production modes (`batch`:
 * POST /append/batch, the scripted result wrapped in `results`; `single`: POST /append) — over a
 * scripted transport. Every scenario in the file is picked up, including ones added later.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CeptraClient, CeptraSink } from '../../../src/sinks/ceptra/index.js';
import { json, recordingSleep, ScriptedTransport } from './helpers.js';

interface Scenario {
  name: string;
  event_id?: string;
  partition_key?: string;
  payload?: string;
  schema_key?: string;
  max_retries?: number;
  responses: Array<Record<string, unknown>>;
  expect: {
    attempts: number;
    success?: boolean;
    final_status?: string;
    error_reason?: string;
    recorded_credit_hints?: string[];
    recorded_client_windows?: Array<number | null>;
    metrics?: {
      client_window_size_ms?: number;
      reject_overload_total_ms?: number;
      append_retry_total_ms?: number;
    };
  };
}

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.resolve(here, '../../../../shared/fixtures/ceptra-sdk-throttles.json');
const scenarios = JSON.parse(readFileSync(fixture, 'utf8')) as Scenario[];

const norm = (s: string) => s.toLowerCase().replace(/_/g, '');

describe('CEPtra SDK conformance (ceptra-sdk-throttles.json)', () => {
  it('has scenarios', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });

  for (const mode of ['batch', 'single'] as const)
    for (const sc of scenarios) {
      it(`${sc.name} (${mode})`, async () => {
        const eventId = sc.event_id ?? 'sdk-scenario';
        const result = (r: Record<string, unknown>) => ({ event_id: eventId, ...r });
        const transport = new ScriptedTransport(
          sc.responses.map((r) => (mode === 'batch' ? json({ results: [result(r)] }) : json(result(r)))),
        );
        const { sleep, delays } = recordingSleep();
        const client = new CeptraClient({ transport, sleep, mode, batchEncoding: 'json', sequencing: false });
        const sink = new CeptraSink(client, false);
        const event = {
          tsNs: 1_700_000_000_000_000_000n,
          eventId,
          key: Buffer.from(sc.partition_key ?? 'partition-a'),
          payload: Buffer.from(sc.payload ?? 'payload'),
          schemaKey: sc.schema_key ?? 'schema.default',
        };
        const ack = await sink.send({ partition: 0, events: [event] });

        const success = sc.expect.success ?? true;
        expect(ack.accepted === 1).toBe(success);
        if (!success) {
          expect(ack.rejected).toHaveLength(1);
          if (sc.expect.error_reason !== undefined)
            expect(ack.rejected[0]!.reason).toBe(sc.expect.error_reason);
        }
        expect(
          transport.requests.every((r) => r.path === (mode === 'batch' ? '/append/batch' : '/append')),
        ).toBe(true);
        expect(transport.requests.length).toBe(sc.expect.attempts);
        const sent = transport
          .jsonBodies()
          .map((b) => (mode === 'batch' ? (b.events as Record<string, unknown>[])[0]! : b));
        for (const body of sent) {
          // Same event on every attempt: id and bytes never change.
          expect(body.event_id).toBe(eventId);
          expect(Buffer.from(body.payload_b64 as string, 'base64').toString()).toBe(event.payload.toString());
          expect(Buffer.from(body.partition_key_b64 as string, 'base64').toString()).toBe(
            event.key.toString(),
          );
        }
        if (sc.expect.recorded_credit_hints?.length) {
          expect(sent.map((b) => norm(String(b.credit_hint)))).toEqual(
            sc.expect.recorded_credit_hints.map(norm),
          );
        }
        if (sc.expect.recorded_client_windows?.length) {
          const windows = sent.map((b) => {
            const h = b.cep_credit_hint as { client_window_size: number } | null;
            return h === null ? null : h.client_window_size;
          });
          expect(windows).toEqual(sc.expect.recorded_client_windows);
        }
        const m = sc.expect.metrics;
        if (m) {
          const s = client.stats();
          if (m.client_window_size_ms !== undefined) expect(s.clientWindowSize).toBe(m.client_window_size_ms);
          if (m.reject_overload_total_ms !== undefined)
            expect(s.rejectOverload).toBe(m.reject_overload_total_ms);
          if (m.append_retry_total_ms !== undefined) expect(s.appendRetry).toBe(m.append_retry_total_ms);
        }
        // Every wait was the contract's jitter for the hint in force when it was taken.
        sc.responses.slice(0, delays.length).forEach((r, i) => {
          const b = (r.cep_credit_hint as { retry_backoff_ms?: number } | undefined)?.retry_backoff_ms ?? 0;
          const [lo, hi] = b > 0 ? [b / 2, b] : [25, 50];
          expect(delays[i]).toBeGreaterThanOrEqual(lo);
          expect(delays[i]).toBeLessThanOrEqual(hi);
        });
      });
    }
});
