/**
 * A Postgres server that only speaks the start of the wire protocol: it asks for a cleartext
 * password and refuses it with SQLSTATE 28P01, as a server with md5/scram auth does for a wrong
 * password (the local test server trusts every local connection, so it cannot). Also a port
 * that nothing listens on.
 */
import { createServer, type Server, type Socket } from 'node:net';

const SSL_REQUEST = 80877103;

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function errorResponse(fields: Record<string, string>): Buffer {
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`${k}${v}\0`, 'utf8'));
  return message('E', Buffer.concat([...parts, Buffer.from([0])]));
}

function serve(socket: Socket): void {
  let buf = Buffer.alloc(0);
  let started = false;
  socket.on('error', () => undefined);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    for (;;) {
      if (!started) {
        if (buf.length < 8) return;
        const len = buf.readInt32BE(0);
        if (buf.length < len) return;
        const code = buf.readInt32BE(4);
        buf = buf.subarray(len);
        if (code === SSL_REQUEST) {
          socket.write('N');
          continue;
        }
        started = true;
        const auth = Buffer.alloc(4);
        auth.writeInt32BE(3); // AuthenticationCleartextPassword
        socket.write(message('R', auth));
        continue;
      }
      if (buf.length < 5) return;
      const len = buf.readInt32BE(1);
      if (buf.length < len + 1) return;
      const type = String.fromCharCode(buf[0]!);
      buf = buf.subarray(len + 1);
      if (type === 'p') {
        socket.end(
          errorResponse({
            S: 'FATAL',
            V: 'FATAL',
            C: '28P01',
            M: 'password authentication failed for user "replay"',
          }),
        );
        return;
      }
    }
  });
}

export interface FakePg {
  port: number;
  close(): Promise<void>;
}

export async function startWrongPasswordPg(): Promise<FakePg> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    serve(s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A local port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
