import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { getToken } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';

export const HTTP_DURATION = 'http_request_duration_seconds';

/**
 * The pattern of the route that answered, or `unmatched`: none did (a body
 * parser or a middleware answered first; a middleware's own catch-all
 * pattern, `{/*splat}`, names no route).
 */
function routeOf(req: IncomingMessage): string {
  // Set by Express as it matches; a route of the API has no wildcard.
  const path = (req as { route?: { path?: unknown } }).route?.path;
  return typeof path === 'string' && !path.includes('*') ? path : 'unmatched';
}

/**
 * Times every request to its response's end, labelled with the route's
 * pattern (`/rides/:id`, never the id itself: few label values) and status.
 * Taken from the server's `request` event, ahead of Express and every
 * middleware (some are mounted while the app is built), so that answers
 * given before any route (a malformed body, a bad token) are timed too.
 */
export function installHttpMetrics(app: NestExpressApplication): void {
  const duration = app.get<Histogram<'method' | 'route' | 'status_code'>>(getToken(HTTP_DURATION));
  const server: Server = app.getHttpServer();
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const end = duration.startTimer();
    res.once('finish', () =>
      end({
        method: req.method ?? 'unknown',
        route: routeOf(req),
        status_code: String(res.statusCode),
      }),
    );
  });
}
