/**
 * The longest delay Node's timers take (`setTimeout`, `setInterval`), about
 * 24.8 days: a longer one fires after 1 ms instead (with a
 * TimeoutOverflowWarning), so a setting meant as "hardly ever" becomes "all
 * the time". Every setting that becomes a timer is bounded by it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** {@link MAX_TIMER_MS} in whole seconds, for settings given in seconds. */
export const MAX_TIMER_S = Math.floor(MAX_TIMER_MS / 1000);
