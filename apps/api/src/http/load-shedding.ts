import { Logger } from '@nestjs/common';
import type { Express } from 'express';
import { AsyncResource } from 'node:async_hooks';
import type { Server, ServerResponse } from 'node:http';
import { Counter, register } from 'prom-client';
import { AdmissionGate, type AdmissionLimits } from './admission.gate';
import { requestIdOf } from './logger.module';
import { isDocsPath, isProbePath } from './probe-paths';

/** The 503 a refused request gets, prebuilt for each Retry-After (seconds) so that a refusal costs microseconds. */
const busyAnswers = new Map<number, { headers: Record<string, string>; body: Buffer }>();
function busyBody(retryAfterSeconds: number): { error: string } {
  return { error: `The API is busy; retry in ${retryAfterSeconds} s.` };
}
function busyAnswer(retryAfterSeconds: number) {
  let answer = busyAnswers.get(retryAfterSeconds);
  if (!answer) {
    const body = Buffer.from(JSON.stringify(busyBody(retryAfterSeconds)));
    const headers = {
      'Retry-After': String(retryAfterSeconds),
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(body.length),
    };
    answer = { headers, body };
    busyAnswers.set(retryAfterSeconds, answer);
  }
  return answer;
}
/** One warning per this many ms while requests are being refused, not one per request. */
const SUMMARY_EVERY_MS = 10_000;

const SHED = 'http_requests_shed_total';
const shedCounter = () =>
  (register.getSingleMetric(SHED) as Counter | undefined) ??
  new Counter({
    name: SHED,
    help: 'Requests refused with 503 because this API process was full (API_MAX_IN_FLIGHT, API_MAX_QUEUED, API_QUEUE_WAIT_MS)',
  });

/** How long a place is held at most for a handler whose client went away (it never ends: a bug). */
const ABANDONED_MS = 60_000;

/** Calls `leave` once `res.end()` is called, or after {@link ABANDONED_MS}. */
function leaveOnEnd(res: ServerResponse, leave: () => void): void {
  const timer = setTimeout(leave, ABANDONED_MS).unref();
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    clearTimeout(timer);
    leave();
    return end(...args);
  }) as ServerResponse['end'];
}

/**
 * Admission control, once the body is read (a slow upload holds no place) and
 * before any query is made (and before the request is logged): at most
 * `maxInFlight` requests in progress in this process, up to `maxQueued` more
 * waiting their turn for at most `maxWaitMs`, and anything beyond gets
 * `503` + `Retry-After` at once, a prebuilt answer that costs microseconds.
 * Refusals are counted in `http_requests_shed_total` and summed up in one
 * warning per 10 s (docs/design.md, "What each failure does").
 */
export function installLoadShedding(app: Express, server: Server, limits: AdmissionLimits): void {
  if (limits.maxInFlight <= 0) return;
  const gate = new AdmissionGate(limits);
  const shed = shedCounter();
  const logger = new Logger('LoadShedding');
  const summary = setInterval(() => {
    const refused = gate.takeRefused();
    if (refused > 0)
      logger.warn(
        `refused ${refused} requests in ${SUMMARY_EVERY_MS / 1000} s (503): ${gate.inFlight} in progress, ${gate.queued} waiting`,
      );
  }, SUMMARY_EVERY_MS).unref();
  server.once('close', () => clearInterval(summary));

  app.use((req, res, next) => {
    // Probes and scrapes are answered whatever the load: they tell operators about it.
    if (isProbePath(req.path)) return next();
    let done = false;
    const leave = () => {
      if (done) return;
      done = true;
      gate.leave();
    };
    const cancel = gate.enter(
      // Bound to this request's async context: a queued one is admitted from the callback of the
      // one that left, and must not run in that one's context (its routing scope, its log fields).
      AsyncResource.bind(() => {
        if (res.destroyed) return leave();
        res.once('finish', leave);
        // A client gone before its answer: the handler still works (its queries run on), so its
        // place is given back when the handler ends the response, or at the latest after a minute.
        // The documentation's files are piped from disk, a pipe the client's going ends without
        // calling res.end(): nothing works on there, and the place is given back at once.
        res.once('close', () =>
          res.writableEnded || isDocsPath(req.path) ? leave() : leaveOnEnd(res, leave),
        );
        next();
      }),
      () => {
        shed.inc();
        if (res.destroyed) return;
        const { headers, body } = busyAnswer(gate.retryAfterSeconds());
        // Written before the request logger runs: the id is echoed here, as on every answer.
        res.setHeader('X-Request-Id', requestIdOf(req));
        res.writeHead(503, headers).end(body);
      },
    );
    // A client that gives up while waiting frees its place in the queue.
    res.once('close', cancel);
  });
}
