import type { DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { prettyLogStream, type LogFormat, type LogLevelName } from '@app/config';

/** nestjs-pino, as the API: JSON lines, or readable ones in a terminal (`LOG_FORMAT`). */
export function observerLogger(level: LogLevelName, format: LogFormat): DynamicModule {
  const options = {
    level,
    // Requests are probes and scrapes: not worth a line each.
    autoLogging: false,
  };
  const stream = prettyLogStream(format, 'pid,hostname,req,context');
  return LoggerModule.forRoot({ pinoHttp: stream ? [options, stream] : options });
}
