import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/common/logger.js';
import { displayUrl, redactSecrets } from '../../src/common/redact.js';

describe('displayUrl: scheme, host, port and path only', () => {
  it.each([
    ['postgres://replay:secret@db.example:5432/events', 'postgres://db.example:5432/events'],
    ['postgres://replay:p@ss@w@rd@db.example:5432/events', 'postgres://db.example:5432/events'],
    ['postgres://replay:pa:ss:wd@db.example/events', 'postgres://db.example/events'],
    ['postgres://replay:s3cr%2Ft%40x@db.example/events', 'postgres://db.example/events'],
    ['postgres://db.example/events?password=qs-secret&sslmode=require', 'postgres://db.example/events'],
    ['postgres://db.example/events?sslpassword=k&sslkey=/keys/client.key', 'postgres://db.example/events'],
    ['postgresql://replay:secret@[::1]:5432/events', 'postgresql://[::1]:5432/events'],
    ['postgres://replay:secret@[2001:db8::7]/events', 'postgres://[2001:db8::7]/events'],
    ['postgres:///events?host=/var/run/postgresql', 'postgres:///events'],
    ['https://token@ceptra.example:8443/', 'https://ceptra.example:8443'],
    ['http://u:pw@127.0.0.1:7070/base#frag', 'http://127.0.0.1:7070/base'],
    ['POSTGRES://u:pw@DB.example/events', 'postgres://DB.example/events'],
  ])('%s → %s', (url, shown) => {
    expect(displayUrl(url)).toBe(shown);
  });

  it.each([
    // An unescaped "/", "?" or "#" in a password makes the host ambiguous: only the scheme is shown.
    ['postgres://replay:s3cr/et@db.example:5432/events', 'postgres://<redacted>'],
    ['postgres://replay:12/34@db.example/events', 'postgres://<redacted>'],
    ['postgres://replay:12?34@db.example/events', 'postgres://<redacted>'],
    ['postgres://replay:ab#cd@db.example/events', 'postgres://<redacted>'],
    ['postgres://db.example/events?password=abc@secretpart', 'postgres://<redacted>'],
    ['postgres://replay:secret@db.example:notaport/events', 'postgres://<redacted>'],
    ['replay:secret@db.example/events', '<unparseable URL>'],
    ['host=db.example password=secret', '<unparseable URL>'],
    ['', '<unparseable URL>'],
  ])('%s → %s (never the raw text)', (url, shown) => {
    expect(displayUrl(url)).toBe(shown);
  });

  it('never contains any part of a password, whatever the characters', () => {
    const chars = ['@', '/', ':', '?', '#', '%40', '%2F', ' ', '&', '='];
    for (const a of chars) {
      for (const b of chars) {
        const pw = `Zq${a}Xw${b}Vy`;
        for (const url of [
          `postgres://replay:${pw}@db.example:5432/events`,
          `postgres://db.example:5432/events?password=${pw}`,
          `https://replay:${pw}@ceptra.example/`,
        ]) {
          const shown = displayUrl(url);
          for (const part of ['Zq', 'Xw', 'Vy']) expect(shown, `${url} → ${shown}`).not.toContain(part);
        }
      }
    }
  });
});

describe('redactSecrets: free text', () => {
  it('shows embedded URLs through displayUrl and masks password parameters', () => {
    const text =
      'could not connect to postgres://replay:hunter2@db.example:5432/events?sslpassword=k2 (host=db password=pw3).';
    const out = redactSecrets(text);
    expect(out).toContain('could not connect to postgres://db.example:5432/events (host=db password=***');
    for (const s of ['hunter2', 'k2', 'pw3', 'replay']) expect(out).not.toContain(s);
  });

  it('leaves text without secrets as it is', () => {
    const text = 'password authentication failed for user "replay"; see http://127.0.0.1:7070/v1/state.';
    expect(redactSecrets(text)).toBe(text);
  });
});

describe('logger', () => {
  it('logs url fields through displayUrl and redacts error messages', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger({ level: 'info', destination: sink });
    log.info({ url: 'postgres://replay:pw1@db.example/events?password=pw2' }, 'a');
    log.child({ job: 'j' }).info({ source: { url: 'postgres://replay:pw3@db.example/events' } }, 'b');
    log.warn({ err: new Error('cannot open postgres://replay:pw4@db.example/events') }, 'c');
    log.warn({ err: 'failed: postgres://replay:pw5@db.example/events' }, 'd');
    await new Promise((r) => setImmediate(r));
    const text = lines.join('');
    expect(lines).toHaveLength(4);
    expect(text).toContain('"url":"postgres://db.example/events"');
    for (const s of ['pw1', 'pw2', 'pw3', 'pw4', 'pw5']) expect(text).not.toContain(s);
  });
});
