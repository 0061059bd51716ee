import type { LogLevel } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { LoggerModule, type Params } from 'nestjs-pino';
import PinoPretty from 'pino-pretty';
import type { DynamicModule } from '@nestjs/common';
import { LoggingConfig, type LogLevelName } from './logging.config';

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

/** Nest's level lists (what the tests and dev tools pass) as the most verbose pino level they allow. */
export function pinoLevel(levels: LogLevel[] | false): LogLevelName {
  if (levels === false || levels.length === 0) return 'silent';
  const order: [LogLevel, LogLevelName][] = [
    ['verbose', 'trace'],
    ['debug', 'debug'],
    ['log', 'info'],
    ['warn', 'warn'],
    ['error', 'error'],
    ['fatal', 'fatal'],
  ];
  return order.find(([nest]) => levels.includes(nest))?.[1] ?? 'silent';
}

/** Settings from a Nest level list (in-process apps) or the validated LOG_* variables. */
export function loggingSettings(logging: LogLevel[] | false | LoggingConfig): LoggingConfig {
  if (logging instanceof LoggingConfig) return logging;
  return Object.assign(new LoggingConfig(), { LOG_LEVEL: pinoLevel(logging) });
}

/**
 * nestjs-pino: every Nest log line and one line per request, as JSON (compose)
 * or readable (a terminal, `npm start`); each with the request's id, taken from
 * a valid `X-Request-Id` header or made up, and echoed in the response.
 * Reads (GET) log at debug, writes at info, 5xx at error.
 */
export function loggerModule(logging: LoggingConfig, quietPaths: RegExp): DynamicModule {
  const pretty =
    logging.LOG_FORMAT === 'pretty' || (logging.LOG_FORMAT === 'auto' && process.stdout.isTTY);
  const options: Params['pinoHttp'] = {
    level: logging.LOG_LEVEL,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const sent = req.headers['x-request-id'];
      const id = typeof sent === 'string' && REQUEST_ID.test(sent) ? sent : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return 'error';
      return req.method === 'GET' || req.method === 'HEAD' ? 'debug' : 'info';
    },
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
  const stream = pretty
    ? PinoPretty({
        sync: true,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,req,res,responseTime,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
      })
    : undefined;
  return LoggerModule.forRoot({ pinoHttp: stream ? [options, stream] : options });
}
