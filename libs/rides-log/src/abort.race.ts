/**
 * What `pending` answers, or `undefined` as soon as `signal` aborts (at once
 * if it has): a wait that the server ends only when it likes (a blocking
 * `XREAD`) does not hold up a stop. An answer or failure that comes after is
 * dropped; the caller closes the connection it was sent on.
 */
export async function unlessAborted<T>(
  pending: Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T | undefined> {
  if (!signal) return pending;
  pending.catch(() => undefined);
  if (signal.aborted) return undefined;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<undefined>((resolve) => {
    onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([pending, aborted]);
  } finally {
    // The signal lives as long as the process: a listener left per round would pile up.
    signal.removeEventListener('abort', onAbort!);
  }
}
