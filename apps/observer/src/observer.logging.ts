import type { DynamicModule, LogLevel } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import PinoPretty from 'pino-pretty';

const NEST_TO_PINO: [LogLevel, string][] = [
  ['verbose', 'trace'],
  ['debug', 'debug'],
  ['log', 'info'],
  ['warn', 'warn'],
  ['error', 'error'],
  ['fatal', 'fatal'],
];

/** Nest's level list (the in-process dev tools pass one) as the most verbose pino level it allows. */
export function pinoLevel(levels: LogLevel[] | false): string {
  if (levels === false) return 'silent';
  return NEST_TO_PINO.find(([nest]) => levels.includes(nest))?.[1] ?? 'silent';
}

/** nestjs-pino, as the API: JSON lines, or readable ones in a terminal (`LOG_FORMAT`). */
export function observerLogger(level: string, format: 'auto' | 'json' | 'pretty'): DynamicModule {
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY);
  const options = {
    level,
    // Requests are probes and scrapes: not worth a line each.
    autoLogging: false,
  };
  const stream = pretty
    ? PinoPretty({
        sync: true,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,req,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
      })
    : undefined;
  return LoggerModule.forRoot({ pinoHttp: stream ? [options, stream] : options });
}
