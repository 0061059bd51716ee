import {
  json,
  urlencoded,
  type ErrorRequestHandler,
  type Express,
  type RequestHandler,
} from 'express';
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { requestIdOf } from './logger.module';

const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

/** A body in any other format is refused (415) rather than silently read as empty. */
const rejectUnsupportedBodies: RequestHandler = (req, res, next) => {
  const hasBody =
    req.headers['transfer-encoding'] !== undefined ||
    Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(BODY_TYPES)) {
    // Answered before the request logger runs: the id is echoed here, as on every answer.
    res.setHeader('X-Request-Id', requestIdOf(req));
    res.status(415).json({ error: `unsupported content type: send ${BODY_TYPES.join(' or ')}` });
    return;
  }
  next();
};

/**
 * Requests Node's HTTP parser rejects before Express sees them (headers over
 * 16 KiB, invalid characters in a header, a request not received within
 * Node's `headersTimeout` or `requestTimeout`) get the API's error shape too.
 */
export function installClientErrorHandler(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: no answer on a socket where one is already under way (a pipelined
    // request's error while the previous answer is written), which it would corrupt.
    const answering = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })
      ._httpMessage;
    if (!socket.writable || answering?.headersSent) return socket.destroy();
    const [status, reason, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request header fields too large']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'the request did not arrive in time']
          : [400, 'Bad Request', 'malformed HTTP request'];
    const body = JSON.stringify({ error: message });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * JSON and form bodies up to `limit`; their errors answered in the API's error
 * shape (malformed JSON 400, too large 413, bad charset 415) instead of
 * Express' HTML page.
 */
export function installBodyParsers(app: Express, limit: string): void {
  app.use(rejectUnsupportedBodies);
  app.use(json({ limit }));
  app.use(urlencoded({ extended: false, limit, parameterLimit: 100 }));
  const onError: ErrorRequestHandler = (
    error: { status?: number; type?: string; message?: string },
    req,
    res,
    next,
  ) => {
    if (!error?.type || !error.status) return next(error);
    res.setHeader('X-Request-Id', requestIdOf(req));
    const messages: Record<string, string> = {
      'entity.parse.failed': 'malformed request body: not valid JSON',
      'entity.too.large': `request body too large (limit ${limit})`,
      'charset.unsupported': 'unsupported charset',
      'encoding.unsupported': 'unsupported content encoding',
      'parameters.too.many': 'too many form parameters',
    };
    res.status(error.status).json({ error: messages[error.type] ?? 'malformed request body' });
  };
  app.use(onError);
}
