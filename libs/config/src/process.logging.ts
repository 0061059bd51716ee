import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { prettyLogStream, type LogFormat, type LogLevelName } from './logging.config';

/**
 * nestjs-pino for a process whose only HTTP is probes and scrapes (the
 * observer, the streamer, the consumers), as the API: JSON lines, or
 * readable ones in a terminal (`LOG_FORMAT`).
 */
export function processLogger(level: LogLevelName, format: LogFormat): DynamicModule {
  const options = {
    level,
    // Requests are probes and scrapes: not worth a line each.
    autoLogging: false,
  };
  const stream = prettyLogStream(format, 'pid,hostname,req,context');
  return LoggerModule.forRoot({ pinoHttp: stream ? [options, stream] : options });
}
