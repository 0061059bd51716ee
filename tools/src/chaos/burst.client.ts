import { Agent, request } from 'node:http';

export interface BurstResponse {
  /** 0: no answer (connection error or timeout; see `error`). */
  status: number;
  retryAfter: string | undefined;
  body: string;
  error?: string;
}

/** A keep-alive client of one API on 127.0.0.1 with at most `connections` sockets; it never rejects. */
export class BurstClient {
  readonly agent: Agent;
  private readonly port: number;

  constructor(
    apiUrl: string,
    connections: number,
    private readonly timeoutMs: number,
  ) {
    const url = new URL(apiUrl);
    if (url.hostname !== '127.0.0.1') throw new Error(`the burst is loopback only, not ${apiUrl}`);
    this.port = Number(url.port);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: connections,
      maxFreeSockets: connections,
    });
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<BurstResponse> {
    return this.request('POST', path, body, headers);
  }

  private request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<BurstResponse> {
    const payload = body === undefined ? '' : JSON.stringify(body);
    return new Promise((done) => {
      let settled = false;
      const finish = (response: BurstResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        done(response);
      };
      const req = request(
        {
          agent: this.agent,
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          headers: payload
            ? {
                ...headers,
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }
            : headers,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            finish({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'],
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', (e) => finish(failure(e.message)));
        },
      );
      let connected = false;
      req.on('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      const timer = setTimeout(() => {
        const stage = connected ? 'no response' : 'not even connected';
        finish(failure(`timeout after ${this.timeoutMs} ms (${stage})`));
        req.destroy();
      }, this.timeoutMs);
      req.on('error', (e) => finish(failure(e.message)));
      req.end(payload);
    });
  }

  /**
   * Opens `connections` keep-alive connections (one `GET /health/live` each, at
   * once) and resolves with how long that took, ms. Since libuv 1.45 (Node 20) a
   * server accepts one connection per event-loop iteration, so thousands of
   * connections opened under load wait seconds to be accepted: a burst of
   * requests is measured on connections that are already open.
   */
  async connect(connections: number): Promise<number> {
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: connections }, () => this.request('GET', '/health/live')),
    );
    const failed = answers.filter((a) => a.status !== 200);
    if (failed.length > 0)
      throw new Error(
        `burst: ${failed.length} of ${connections} connections could not be opened, e.g. ${failed[0]!.error ?? failed[0]!.status}`,
      );
    return performance.now() - started;
  }

  close(): void {
    this.agent.destroy();
  }
}

function failure(error: string): BurstResponse {
  return { status: 0, retryAfter: undefined, body: '', error };
}
