import { AdmissionGate, MAX_RETRY_AFTER_S } from './admission.gate';

describe('AdmissionGate', () => {
  let now = 0;
  const clock = () => now;
  const log: string[] = [];
  const enter = (gate: AdmissionGate, name: string) =>
    gate.enter(
      () => log.push(`${name} admitted`),
      () => log.push(`${name} refused`),
    );

  beforeEach(() => {
    jest.useFakeTimers();
    now = 0;
    log.length = 0;
  });
  afterEach(() => jest.useRealTimers());

  it('admits up to maxInFlight at once, queues the next ones, refuses beyond the queue', () => {
    const gate = new AdmissionGate({ maxInFlight: 2, maxQueued: 1, maxWaitMs: 1000 }, clock);
    for (const name of ['a', 'b', 'c', 'd']) enter(gate, name);
    expect(log).toEqual(['a admitted', 'b admitted', 'd refused']);
    expect([gate.inFlight, gate.queued]).toEqual([2, 1]);
  });

  it('gives a freed place to the longest waiter, first come first served', () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 5, maxWaitMs: 1000 }, clock);
    for (const name of ['a', 'b', 'c']) enter(gate, name);
    gate.leave();
    expect(log).toEqual(['a admitted', 'b admitted']);
    gate.leave();
    expect(log).toEqual(['a admitted', 'b admitted', 'c admitted']);
    expect([gate.inFlight, gate.queued]).toEqual([1, 0]);
  });

  it('refuses a request that waited maxWaitMs, and never admits it afterwards', () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 5, maxWaitMs: 1000 }, clock);
    enter(gate, 'a');
    enter(gate, 'b');
    jest.advanceTimersByTime(999);
    expect(log).toEqual(['a admitted']);
    jest.advanceTimersByTime(1);
    expect(log).toEqual(['a admitted', 'b refused']);
    gate.leave();
    expect(log).toEqual(['a admitted', 'b refused']);
    expect([gate.inFlight, gate.queued, gate.takeRefused()]).toEqual([0, 0, 1]);
  });

  it('forgets a waiter whose client went away: neither admitted nor refused, and its place is free', () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 1, maxWaitMs: 1000 }, clock);
    enter(gate, 'a');
    const cancelB = enter(gate, 'b');
    cancelB();
    enter(gate, 'c');
    jest.advanceTimersByTime(5000);
    expect(log).toEqual(['a admitted', 'c refused']);
    gate.leave();
    expect(gate.inFlight).toBe(0);
  });

  it('asks refused clients to come back when the queue ahead will have drained, within 1..MAX s', () => {
    const gate = new AdmissionGate({ maxInFlight: 10, maxQueued: 100, maxWaitMs: 60_000 }, clock);
    for (let i = 0; i < 10; i++) enter(gate, `w${i}`);
    expect(gate.retryAfterSeconds()).toBe(1); // nothing waits
    // 10 requests finish per second...
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < 10; i++) {
        gate.leave();
        enter(gate, `x${s}.${i}`);
      }
      now += 1000;
    }
    // ...and 40 wait: they need about 4 s.
    for (let i = 0; i < 40; i++) enter(gate, `q${i}`);
    expect(gate.queued).toBe(40);
    expect(gate.retryAfterSeconds()).toBe(4);
    for (let i = 0; i < 60; i++) enter(gate, `r${i}`);
    expect(gate.retryAfterSeconds()).toBe(MAX_RETRY_AFTER_S);
  });

  it('tells clients to stay away longest when nothing finishes at all', () => {
    const gate = new AdmissionGate({ maxInFlight: 1, maxQueued: 50, maxWaitMs: 60_000 }, clock);
    for (let i = 0; i < 30; i++) enter(gate, `r${i}`);
    now += 5000;
    expect(gate.retryAfterSeconds()).toBe(MAX_RETRY_AFTER_S);
  });
});
