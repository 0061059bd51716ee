/** A failure injected on purpose (STREAMER_FAIL_RATE, CONSUMER_FAIL_RATE), as the seed does. */
export class InjectedFailure extends Error {
  override readonly name = 'InjectedFailure';
}

/** Throws an {@link InjectedFailure} with probability `rate`. */
export function maybeFail(rate: number, what: string): void {
  if (rate > 0 && Math.random() < rate) throw new InjectedFailure(`injected failure ${what}`);
}
