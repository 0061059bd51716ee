import pino from 'pino';
import { Writable } from 'node:stream';
import { LoggingConfig, pinoLevel } from '@app/config';
import { REDACTED_PATHS, loggingSettings, requestLogLevel } from './logger.module';

describe('logging settings', () => {
  it("maps Nest's level lists to the most verbose pino level they allow", () => {
    expect(pinoLevel(['log', 'warn', 'error'])).toBe('info');
    expect(pinoLevel(['warn', 'error'])).toBe('warn');
    expect(pinoLevel(['error'])).toBe('error');
    expect(pinoLevel(['debug', 'error'])).toBe('debug');
    expect(pinoLevel(false)).toBe('silent');
    expect(pinoLevel([])).toBe('silent');
  });

  it('takes validated LOG_* settings as they are', () => {
    const config = Object.assign(new LoggingConfig(), { LOG_LEVEL: 'debug', LOG_FORMAT: 'json' });
    expect(loggingSettings(config)).toBe(config);
    expect(loggingSettings(['warn'])).toMatchObject({ LOG_LEVEL: 'warn', LOG_FORMAT: 'auto' });
  });

  it('never writes an Authorization header or an API key', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink).info(
      {
        req: { headers: { authorization: 'Bearer s3cret', 'idempotency-key': 'k1' } },
        res: { body: { api_key: 'k3y' } },
      },
      'POST /users 201',
    );
    expect(lines.join('')).not.toMatch(/s3cret|k3y|k1/);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('logs reads at debug, writes at info, a 5xx at error, but a 503 as its method (its cause is said apart)', () => {
    expect(requestLogLevel('GET', 200)).toBe('debug');
    expect(requestLogLevel('POST', 201)).toBe('info');
    expect(requestLogLevel('POST', 500)).toBe('error');
    expect(requestLogLevel('GET', 200, new Error('socket'))).toBe('error');
    expect(requestLogLevel('GET', 503, new Error('failed with status code 503'))).toBe('debug');
    expect(requestLogLevel('POST', 503)).toBe('info');
  });
});
