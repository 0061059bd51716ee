/**
 * Whether `loop` counts as turning with the wall clock stepped an hour ahead
 * (an NTP step): it must, as its rounds are timed on the monotonic clock.
 */
export function turningAfterWallStep(loop: { turning(): boolean }): boolean {
  const wall = Date.now() + 3_600_000;
  const stepped = jest.spyOn(Date, 'now').mockImplementation(() => wall);
  try {
    return loop.turning();
  } finally {
    stepped.mockRestore();
  }
}
