import { getEventListeners } from 'node:events';
import { unlessAborted } from './abort.race';

describe('unlessAborted', () => {
  it('answers what the pending promise answers, and leaves no listener on the signal', async () => {
    const stop = new AbortController();
    await expect(unlessAborted(Promise.resolve(7), stop.signal)).resolves.toBe(7);
    await expect(unlessAborted(Promise.reject(new Error('no')), stop.signal)).rejects.toThrow('no');
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('answers undefined once the signal aborts, and drops a later failure', async () => {
    const stop = new AbortController();
    let fail!: (error: Error) => void;
    const pending = new Promise<number>((_, reject) => (fail = reject));
    const raced = unlessAborted(pending, stop.signal);
    stop.abort();
    await expect(raced).resolves.toBeUndefined();
    fail(new Error('connection closed')); // no unhandled rejection
    await expect(unlessAborted(new Promise(() => undefined), stop.signal)).resolves.toBeUndefined();
  });
});
