import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import {
  InvalidConsistencyTokenError,
  NoNodeAvailableError,
  PrimaryUnavailableError,
} from '@app/replica-routing';
import type { Response } from 'express';

/**
 * The one place where errors become HTTP: `{"error": "<message>"}` with the
 * right status, never a stack trace. Unexpected errors are logged in full and
 * answered with a generic 500.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, message } = this.describe(error);
    if (status >= 500 && status !== 503) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    if (error instanceof PrimaryUnavailableError) {
      response.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
    }
    if (response.headersSent) return;
    response.status(status).json({ error: message });
  }

  private describe(error: unknown): { status: number; message: string } {
    if (error instanceof HttpException) {
      const body = error.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : (flatten((body as { message?: unknown }).message) ?? error.message);
      return { status: error.getStatus(), message };
    }
    if (error instanceof InvalidConsistencyTokenError)
      return { status: 400, message: error.message };
    if (error instanceof PrimaryUnavailableError || error instanceof NoNodeAvailableError) {
      return { status: 503, message: error.message };
    }
    return { status: 500, message: 'internal server error' };
  }
}

function flatten(message: unknown): string | undefined {
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : undefined;
}
