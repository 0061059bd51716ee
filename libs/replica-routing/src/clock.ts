/**
 * Milliseconds on a monotonic clock, for durations and deadlines: a wall
 * clock (`Date.now()`) steps when NTP corrects it, and a bench or a wait
 * timed on it would last the step's length too. Wall time stays for what is
 * compared with stamps of other processes (the observer's rows, samples of
 * the primary's position).
 */
export const monotonicMs = (): number => performance.now();
