import { get } from 'node:http';
import { waitUntil } from '../process/wait';

/** The status of `GET url` (0: no answer within a second). */
export function httpStatus(url: string): Promise<number> {
  return new Promise((done) => {
    const req = get(url, { timeout: 1000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
  });
}

/**
 * Resolves true once every URL answers 200, false after `timeoutMs` or as
 * soon as `cancelled()` says so. Polls every 500 ms.
 */
export async function waitAllReady(
  urls: string[],
  timeoutMs: number,
  cancelled: () => boolean = () => false,
): Promise<boolean> {
  const ready = async () => (await Promise.all(urls.map(httpStatus))).every((s) => s === 200);
  return waitUntil(async () => cancelled() || (await ready()), {
    timeoutMs,
    what: urls.join(', '),
    intervalMs: 500,
  }).then(
    () => !cancelled(),
    () => false,
  );
}
