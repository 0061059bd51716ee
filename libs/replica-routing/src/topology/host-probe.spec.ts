import { createServer, type Socket } from 'node:net';
import { addressOf, pgConfig, probeRole } from './host-probe';

describe('pgConfig', () => {
  const url = 'postgres://u:p@shared-host:5432/db?application_name=from-url';

  it('takes the URL, then the connection settings over it, then the library overrides', () => {
    const node = { url, connection: { host: 'replica1', port: 6432, ssl: { ca: 'CA' } } };
    const config = pgConfig(node, { max: 3, statement_timeout: 1000, application_name: 'lib' });
    expect(config).toMatchObject({
      host: 'replica1',
      port: 6432,
      user: 'u',
      password: 'p',
      database: 'db',
      ssl: { ca: 'CA' },
      max: 3,
      statement_timeout: 1000,
      // The library's application_name is a default only.
      application_name: 'from-url',
    });
    // node-postgres would lay a connection string over everything else.
    expect(config).not.toHaveProperty('connectionString');
    expect(addressOf(node)).toBe('replica1:6432');
    // A port of its own on the URL's host: the address is where the pools connect.
    expect(addressOf({ url: 'postgres://u:p@pg1/db', connection: { port: 6432 } })).toBe(
      'pg1:6432',
    );
    expect(addressOf({ url: 'postgres://u:p@pg1/db' })).toBe('pg1:5432');
  });

  it("defaults application_name to the library's", () => {
    expect(pgConfig({ url: 'postgres://u:p@h/db' }, { application_name: 'lib' })).toMatchObject({
      host: 'h',
      application_name: 'lib',
    });
  });
});

/** A server that speaks just enough of the protocol to answer one query, then never closes. */
function fakePostgres(): Promise<{ port: number; close: () => void }> {
  const sockets: Socket[] = [];
  const msg = (type: string, body: Buffer) => {
    const head = Buffer.alloc(5);
    head.write(type, 0);
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  };
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const int16 = (n: number) => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  };
  const cstr = (s: string) => Buffer.from(s + '\0');
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.push(socket);
    let started = false;
    socket.on('data', (data) => {
      if (!started) {
        started = true;
        socket.write(Buffer.concat([msg('R', int32(0)), msg('Z', Buffer.from('I'))]));
        return;
      }
      if (data[0] === 'Q'.charCodeAt(0)) {
        const field = (name: string, oid: number) =>
          Buffer.concat([
            cstr(name),
            int32(0),
            int16(0),
            int32(oid),
            int16(-1),
            int32(-1),
            int16(0),
          ]);
        const row = Buffer.concat([int16(2), int32(1), Buffer.from('t'), int32(-1)]);
        socket.write(
          Buffer.concat([
            msg('T', Buffer.concat([int16(2), field('standby', 16), field('tli', 23)])),
            msg('D', row),
            msg('C', cstr('SELECT 1')),
            msg('Z', Buffer.from('I')),
          ]),
        );
      }
      // Terminate ('X'): ignored, the socket is never closed (a host that went silent).
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        close: () => {
          sockets.forEach((s) => s.destroy());
          server.close();
        },
      }),
    ),
  );
}

describe('probeRole, a host that answers and then goes silent', () => {
  it('settles within its timeout: the socket is destroyed, not waited for', async () => {
    const pg = await fakePostgres();
    const started = Date.now();
    const settled = probeRole({ url: `postgres://u@127.0.0.1:${pg.port}/x` }, 500).then(
      (v) => v,
      (e: unknown) => e,
    );
    const winner = await Promise.race([
      settled,
      new Promise((r) => setTimeout(() => r('still pending'), 3000)),
    ]);
    pg.close();
    await settled;
    expect({ winner, took: Date.now() - started < 3000 }).toEqual({
      winner: { standby: true, tli: null },
      took: true,
    });
  });
});
