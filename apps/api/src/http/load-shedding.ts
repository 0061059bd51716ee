import type { Express } from 'express';

/** Probes and scrapes are answered whatever the load: they tell operators about it. */
const EXEMPT = /^\/(health|metrics)(\/|$)/;

/**
 * A bounded number of requests in progress in this process (API_MAX_IN_FLIGHT);
 * beyond it a request gets 503 + Retry-After at once, before its body is read
 * or any query is made. A traffic spike then costs each extra request a few
 * microseconds instead of a place in every queue behind it (docs/design.md,
 * "What each failure does").
 */
export function installLoadShedding(app: Express, maxInFlight: number): void {
  if (maxInFlight <= 0) return;
  let inFlight = 0;
  app.use((req, res, next) => {
    if (EXEMPT.test(req.path)) return next();
    if (inFlight >= maxInFlight) {
      res.setHeader('Retry-After', '1');
      res.status(503).json({ error: 'The API is busy; retry in 1 s.' });
      return;
    }
    inFlight++;
    let done = false;
    const leave = () => {
      if (done) return;
      done = true;
      inFlight--;
    };
    res.on('finish', leave);
    res.on('close', leave);
    next();
  });
}
