/** mTLS: CA, client certificate and key (file paths and buffers) reach undici's connect options. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AttemptInfo, CeptraClient, CeptraSink } from '../../../src/sinks/ceptra/index.js';
import { makeEvents } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ceptra-tls-'));
const f = (n: string) => path.join(dir, n);
const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

function makePki(): void {
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
  );
  for (const [name, cn] of [
    ['server', 'localhost'],
    ['client', 'replayer'],
  ] as const) {
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
    );
  }
}

describe('CeptraClient over mTLS', () => {
  let server: Server;
  let url = '';
  const peers: string[] = [];
  beforeAll(async () => {
    makePki();
    server = createServer(
      {
        key: readFileSync(f('server.key')),
        cert: readFileSync(f('server.pem')),
        ca: readFileSync(f('ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        peers.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
        req.resume();
        req.on('end', () => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'Healthy', credit_hint: 'Recover', cep_credit_hint: null }));
        });
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => server?.close(() => r()) ?? r());
    rmSync(dir, { recursive: true, force: true });
  });

  it('presents the client certificate and verifies the server against the CA', async () => {
    const attempts: AttemptInfo[] = [];
    const client = new CeptraClient({
      url,
      tls: {
        ca: { path: f('ca.pem') },
        cert: { path: f('client.pem') },
        key: readFileSync(f('client.key')),
        servername: 'localhost',
      },
      mode: 'single',
      onAttempt: (a) => attempts.push(a),
    });
    try {
      const ack = await new CeptraSink(client, false).send({ partition: 0, events: makeEvents(1) });
      expect(ack.accepted).toBe(1);
      expect(peers).toEqual(['replayer']);
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ route: '/append', status: 200, events: 1, retryReason: null });
      expect(attempts[0]!.rttMs).toBeGreaterThanOrEqual(0);
    } finally {
      await client.close();
    }
  });

  it('fails fast, not retried, when the server certificate is not trusted', async () => {
    const client = new CeptraClient({
      url,
      tls: { cert: { path: f('client.pem') }, key: { path: f('client.key') }, servername: 'localhost' },
    });
    try {
      const err = await new CeptraSink(client, false)
        .send({ partition: 0, events: makeEvents(1) })
        .catch((e: unknown) => e);
      expect((err as { code: string }).code).toBe('TLS_VERIFY');
      expect((err as { canRetry: boolean }).canRetry).toBe(false);
      expect(client.stats().appendRetry).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('names the field when a PEM file cannot be read', () => {
    expect(() => new CeptraClient({ url, tls: { ca: { path: f('missing.pem') } } })).toThrow(
      /ceptra\.tls\.ca: cannot read/,
    );
  });
});
