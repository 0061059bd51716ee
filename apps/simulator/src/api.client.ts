import { setTimeout as sleep } from 'node:timers/promises';

export interface ApiResponse {
  status: number;
  body: unknown;
  headers: Headers;
  ms: number;
}

/**
 * A minimal JSON client over fetch with a per-request timeout. Given several
 * base URLs (API processes), each request goes to the next one in turn,
 * starting with the one at index `turn`.
 */
export class ApiClient {
  private readonly baseUrls: readonly string[];

  constructor(
    baseUrls: string | readonly string[],
    private readonly timeoutMs: number,
    private turn = 0,
  ) {
    this.baseUrls = typeof baseUrls === 'string' ? [baseUrls] : baseUrls;
    if (this.baseUrls.length === 0) throw new Error('ApiClient needs at least one base URL');
  }

  async request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse> {
    const started = performance.now();
    const baseUrl = this.baseUrls[this.turn++ % this.baseUrls.length]!;
    return this.requestTo(baseUrl, method, path, options, started);
  }

  /**
   * Polls GET /health of every base URL until each answers (they may still be
   * starting). Returns false, at once, when `signal` aborts (a SIGINT meanwhile).
   */
  async waitUntilUp(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (const baseUrl of this.baseUrls) {
      for (;;) {
        if (signal?.aborted) return false;
        try {
          if ((await this.requestTo(baseUrl, 'GET', '/health')).status === 200) break;
        } catch {
          // not up yet
        }
        if (performance.now() > deadline)
          throw new Error(`API at ${baseUrl} did not answer within ${timeoutMs} ms`);
        await sleep(250, undefined, { signal }).catch(() => undefined);
      }
    }
    return !signal?.aborted;
  }

  private async requestTo(
    baseUrl: string,
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
    started = performance.now(),
  ): Promise<ApiResponse> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return {
      status: response.status,
      body,
      headers: response.headers,
      ms: performance.now() - started,
    };
  }
}
