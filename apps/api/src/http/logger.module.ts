import type { LogLevel } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { LoggerModule, type Params } from 'nestjs-pino';
import type { DynamicModule } from '@nestjs/common';
import { LoggingConfig, pinoLevel, prettyLogStream } from '@app/config';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Never logged: credentials, API keys (in headers or bodies), idempotency keys. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.api_key',
  '*.*.api_key',
  '*.apiKey',
  '*.*.apiKey',
  '*.password',
  '*.*.password',
];

/** Settings from a Nest level list (in-process apps) or the validated LOG_* variables. */
export function loggingSettings(logging: LogLevel[] | false | LoggingConfig): LoggingConfig {
  if (logging instanceof LoggingConfig) return logging;
  return Object.assign(new LoggingConfig(), { LOG_LEVEL: pinoLevel(logging) });
}

/**
 * nestjs-pino: every Nest log line and one line per request, as JSON (compose)
 * or readable (a terminal, `npm start`); each with the request's id, taken from
 * a valid `X-Request-Id` header or made up, and echoed in the response.
 * Reads (GET) log at debug, writes at info, whatever their answer but a 5xx
 * other than 503 (at error: an error line is always something to look at).
 * A 503 is a designed answer (load shed, a node unavailable, with
 * Retry-After), given to many requests at once in a failover or a spike: its
 * cause is said at warn by HttpErrorFilter (once per cause every 10 s) and
 * load shedding's summary, not once per request.
 */
/** The request's id: the client's `X-Request-Id` when it is a sane one, else a new UUID. */
export function requestIdOf(req: IncomingMessage): string {
  const sent = req.headers['x-request-id'];
  return typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
}

/** The level of a request's line (see above). */
export function requestLogLevel(
  method: string | undefined,
  status: number,
  error?: unknown,
): 'debug' | 'info' | 'error' {
  if (status !== 503 && (error || status >= 500)) return 'error';
  return method === 'GET' || method === 'HEAD' ? 'debug' : 'info';
}

export function loggerModule(logging: LoggingConfig, quietPaths: RegExp): DynamicModule {
  const options: Params['pinoHttp'] = {
    level: logging.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestIdOf(req);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (req, res, error) => requestLogLevel(req.method, res.statusCode, error),
    autoLogging: { ignore: (req) => quietPaths.test(req.url ?? '') },
    customSuccessMessage: (req, res, ms) => `${req.method} ${req.url} ${res.statusCode} ${ms} ms`,
    customErrorMessage: (req, res) => `${req.method} ${req.url} ${res.statusCode} failed`,
    serializers: {
      // Headers as sent, then `redact` above blanks the secrets among them.
      req: (req: { id: unknown; method: string; url: string; headers: unknown }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        headers: req.headers,
      }),
    },
  };
  const stream = prettyLogStream(logging.LOG_FORMAT, 'pid,hostname,req,res,responseTime,context');
  return LoggerModule.forRoot({ pinoHttp: stream ? [options, stream] : options });
}
