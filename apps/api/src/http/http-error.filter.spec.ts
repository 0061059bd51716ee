import { Logger, type ArgumentsHost } from '@nestjs/common';
import {
  NoNodeAvailableError,
  PrimaryUnavailableError,
  RoutingClosedError,
  WriteLostError,
} from '@app/replica-routing';
import { HttpErrorFilter } from './http-error.filter';

/** What the filter answered for `error`: status, headers and body. */
function answer(error: unknown, headersSent = false) {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const response = {
    headersSent,
    setHeader: (name: string, value: string) => {
      // As Node's: a header once the head has left throws ERR_HTTP_HEADERS_SENT.
      if (headersSent) throw new Error('Cannot set headers after they are sent to the client');
      sent.headers[name] = value;
    },
    status(code: number) {
      sent.status = code;
      return this;
    },
    json: (body: unknown) => (sent.body = body),
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as ArgumentsHost;
  new HttpErrorFilter().catch(error, host);
  return sent;
}

describe('HttpErrorFilter', () => {
  // The filter logs every 5xx; that is not what is tested here.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('answers a shutdown, as every "retry shortly" error, with 503 and Retry-After', () => {
    for (const error of [
      new RoutingClosedError('cannot use node primary'),
      new NoNodeAvailableError([]),
    ]) {
      const sent = answer(error);
      expect(sent.status).toBe(503);
      expect(sent.headers['Retry-After']).toBe('1');
      expect(sent.body).toEqual({ error: error.message });
    }
  });

  it('leaves a response whose head has left alone, even for an error that would add Retry-After', () => {
    const sent = answer(new NoNodeAvailableError([]), true);
    expect(sent).toEqual({ status: 0, headers: {}, body: undefined });
  });

  it('answers a statement the database cancelled (a timeout, a serialization failure) with 503 and Retry-After', () => {
    for (const code of ['57014', '40001', '40P01']) {
      const driverError = Object.assign(new Error('canceling statement'), { code });
      for (const error of [
        driverError,
        Object.assign(new Error('query failed'), { driverError }),
      ]) {
        const sent = answer(error);
        expect(sent.status).toBe(503);
        expect(sent.headers['Retry-After']).toBe('1');
        expect(sent.body).toEqual({
          error: `the database cancelled the statement (${code}): retry`,
        });
      }
    }
  });

  it('answers a lost write with 410 and an unexpected error with a bare 500', () => {
    expect(answer(new WriteLostError('1/0/A', 'lost', 'it ended at 0/5')).status).toBe(410);
    const sent = answer(new Error('secret detail'));
    expect(sent).toMatchObject({ status: 500, body: { error: 'internal server error' } });
    expect(sent.headers).toEqual({});
  });

  it('says a 503’s cause once, not once per request: the same cause again within 10 s is counted', () => {
    const warned: string[] = [];
    const filter = new HttpErrorFilter();
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warned.push(String(message));
    });
    const response = {
      headersSent: false,
      setHeader: () => undefined,
      status() {
        return this;
      },
      json: () => undefined,
    };
    const host = { switchToHttp: () => ({ getResponse: () => response }) } as ArgumentsHost;
    try {
      // Each names another position, as each request's token is another.
      for (let i = 0; i < 50; i++) {
        filter.catch(
          new NoNodeAvailableError([`r: not at 0/${(4096 + i).toString(16)} yet`]),
          host,
        );
        // And one whose "retry in N s" counts down.
        filter.catch(new PrimaryUnavailableError(1000 * (1 + (i % 5))), host);
      }
      expect(warned).toHaveLength(2);
      expect(warned[0]).toMatch(/^503: /);
    } finally {
      jest.restoreAllMocks();
    }
  });
});
