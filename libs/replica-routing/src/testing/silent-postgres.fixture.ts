import { createServer, type Socket } from 'node:net';

/**
 * A server that speaks just enough of the protocol to let a client connect
 * and answer its queries with one row (`standby` true, `tli` null), and then
 * never closes a connection: it ignores Terminate, as a host that went
 * silent (a partition, a crash) would. For tests of what waits for a close.
 */
export function silentPostgres(): Promise<{ port: number; close: () => void }> {
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
