import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { installClientErrorHandler } from './body-parsers';

describe('installClientErrorHandler', () => {
  let server: Server;
  afterEach(() => {
    server.closeAllConnections();
    return new Promise((done) => server.close(done));
  });

  /** What the server answers to `sent`, written on a raw connection, until it closes it. */
  async function rawAnswer(sent: string): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.write(sent);
    let answer = '';
    socket.on('data', (chunk) => (answer += String(chunk)));
    await once(socket, 'close');
    return answer;
  }

  it('answers a request whose headers did not arrive in time 408, in the API’s error shape', async () => {
    server = createServer(
      { headersTimeout: 200, requestTimeout: 200, connectionsCheckingInterval: 50 },
      (_req, res) => res.end(),
    );
    installClientErrorHandler(server);
    const answer = await rawAnswer('GET /rides HTTP/1.1\r\nHost: x\r\n'); // never ends its headers
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(answer).toContain('{"error":"the request did not arrive in time"}');
  });

  it('answers a malformed request 400', async () => {
    server = createServer((_req, res) => res.end());
    installClientErrorHandler(server);
    const answer = await rawAnswer('NOT HTTP\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });
});
