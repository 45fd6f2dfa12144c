/**
 * CEPtra's own SDK conformance scenarios (shared/fixtures/ceptra-sdk-throttles.json), run
 * generically against the single-event client through a scripted transport: every scenario in
 * the file is picked up, including ones added later.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PermanentRejectionError, ReplayError } from '../../../src/common/errors.js';
import { CeptraClient } from '../../../src/sinks/ceptra/index.js';
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

  for (const sc of scenarios) {
    it(sc.name, async () => {
      const eventId = sc.event_id ?? 'sdk-scenario';
      const transport = new ScriptedTransport(sc.responses.map((r) => json({ event_id: eventId, ...r })));
      const { sleep, delays } = recordingSleep();
      const client = new CeptraClient({
        transport,
        sleep,
        maxTransientRetries: sc.max_retries ?? sc.responses.length - 1,
        sequencing: false,
      });
      const event = {
        tsNs: 1_700_000_000_000_000_000n,
        eventId,
        key: Buffer.from(sc.partition_key ?? 'partition-a'),
        payload: Buffer.from(sc.payload ?? 'payload'),
        schemaKey: sc.schema_key ?? 'schema.default',
      };
      const outcome = await client.appendOne(event).then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );

      const success = sc.expect.success ?? true;
      expect(outcome.ok).toBe(success);
      if (outcome.ok) {
        if (sc.expect.final_status) expect(norm(outcome.r.status)).toBe(norm(sc.expect.final_status));
      } else {
        const e = outcome.e;
        expect(e).toBeInstanceOf(ReplayError);
        const reason =
          e instanceof PermanentRejectionError
            ? e.reason
            : ((e as ReplayError).details?.reason as string | null | undefined);
        if (sc.expect.error_reason !== undefined) expect(reason).toBe(sc.expect.error_reason);
      }

      expect(transport.requests.length).toBe(sc.expect.attempts);
      const sent = transport.jsonBodies();
      for (const body of sent) {
        // Same event on every attempt: id and bytes never change.
        expect(body.event_id).toBe(eventId);
        expect(Buffer.from(body.payload_b64 as string, 'base64').toString()).toBe(event.payload.toString());
        expect(Buffer.from(body.partition_key_b64 as string, 'base64').toString()).toBe(event.key.toString());
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
