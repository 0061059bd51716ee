import { SpacedFlight } from './spaced-flight';

describe('SpacedFlight', () => {
  it('runs once for every caller at once; run() waits out the spacing, runNow() does not', async () => {
    let runs = 0;
    const flight = new SpacedFlight(300, () => Promise.resolve(void runs++));
    await Promise.all([flight.run(), flight.run(), flight.runNow()]);
    expect(runs).toBe(1);

    let started = Date.now();
    await flight.runNow();
    expect(Date.now() - started).toBeLessThan(200);
    expect(runs).toBe(2);

    started = Date.now();
    const [spaced, joined] = [flight.run(), flight.runNow()];
    await Promise.all([spaced, joined]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(runs).toBe(3);
    expect(flight.inFlight).toBeUndefined();
  });
});
