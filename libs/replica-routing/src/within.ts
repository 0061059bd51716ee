/**
 * `work`'s outcome, or a rejection once `ms` have passed without one (the
 * work itself goes on: a pooled query keeps its connection until its own
 * timeout). The timer is cleared either way.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
