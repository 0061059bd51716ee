import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpResponse {
  /** 0 when no response came (connection error or timeout; see `error`). */
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** From sending the request to the end of the response body. */
  ms: number;
  error?: string;
}

/**
 * A keep-alive HTTP/1.1 client of one server on 127.0.0.1, with at most
 * `connections` sockets: a load generator with cheap requests. It never rejects.
 */
export class HttpClient {
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    connections: number,
    private readonly timeoutMs = 10_000,
  ) {
    const url = new URL(baseUrl);
    if (url.hostname !== '127.0.0.1')
      throw new Error(`the bench only talks to 127.0.0.1, not ${baseUrl}`);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: connections,
      maxFreeSockets: connections,
    });
  }

  send(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const started = performance.now();
    return new Promise((done) => {
      const finish = (response: Omit<HttpResponse, 'ms'>) =>
        done({ ...response, ms: performance.now() - started });
      const req = request(
        {
          agent: this.agent,
          host: this.host,
          port: this.port,
          method,
          path,
          headers:
            payload === undefined
              ? headers
              : {
                  ...headers,
                  'content-type': 'application/json',
                  'content-length': String(Buffer.byteLength(payload)),
                },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            finish({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
          );
          res.on('error', (error) =>
            finish({ status: 0, headers: {}, body: '', error: error.message }),
          );
        },
      );
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)),
      );
      req.on('error', (error) =>
        finish({ status: 0, headers: {}, body: '', error: error.message }),
      );
      req.end(payload);
    });
  }

  /** `send`, then the body parsed as JSON; throws on any status but `expected`. */
  async json<T>(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
    expected = method === 'POST' ? 201 : 200,
  ): Promise<{ body: T; response: HttpResponse }> {
    const response = await this.send(method, path, headers, body);
    if (response.status !== expected) {
      throw new Error(
        `${method} ${path}: expected ${expected}, got ${response.status || response.error} ${response.body.slice(0, 300)}`,
      );
    }
    return { body: JSON.parse(response.body) as T, response };
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A response header as one string (the first value if repeated). */
export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
