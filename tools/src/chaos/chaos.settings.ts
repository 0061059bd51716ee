import { envNumber, PORT } from '../process/env.number';

/** What `npm run chaos` runs with: phase lengths from CHAOS_PHASE_S, and the chaos API's settings. */
export const PHASE_MS = envNumber('CHAOS_PHASE_S', 15, { min: 1, max: 3600 }) * 1000;
/** A full run (15 s phases) also enforces the burst's throughput ratio; a short CI run only prints it. */
export const FULL_RUN = PHASE_MS >= 10_000;
export const POSTGRES_PORT = envNumber('CHAOS_POSTGRES_PORT', 27433, PORT);

/** How long a node stays SIGSTOPped: 10 s in a full run, scaled with CHAOS_PHASE_S, at least 3 s. */
export const FREEZE_MS = Math.max(3000, Math.round((PHASE_MS * 2) / 3));

/** The chaos API's primary cool-down (short, so phases stay short); one phase uses the default. */
export const COOLDOWN_MS = 2000;
/** The library's default `primaryCooldownMs`, which the last primary phase runs with. */
export const DEFAULT_COOLDOWN_MS = 30_000;
export const CONNECT_TIMEOUT_MS = 2000;
/** The read budget: a statement runs at most this long on a node that answers. */
export const STATEMENT_TIMEOUT_MS = 1000;
/**
 * Slack for what follows a timed-out attempt: the read again on another node,
 * HTTP, and a stall of the event loop the API shares with the simulator (a read
 * caught by the hung replica took 2,967-3,048 ms in ten runs; 500 ms of slack
 * left too little for a stall on a busy 2-core CI machine).
 */
export const RETRY_MARGIN_MS = 1000;
/** Every read must answer within this (the check of the hung-replica and other replica phases). */
export const READ_BOUND_MS = CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + RETRY_MARGIN_MS;

export const API_SETTINGS = {
  DB_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
  DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
};

/** Burst: 100 connections, then 3,000, each for a phase; 3,000 must reach this share of 100's 201/s. */
export const BURST = {
  baseConnections: 100,
  burstConnections: 3000,
  users: 100,
  stageMs: PHASE_MS,
  requestTimeoutMs: 10_000,
  writesAfter: 100,
  minRatio: envNumber('CHAOS_BURST_MIN_RATIO', 0.8, { min: 0, max: 10 }),
};
