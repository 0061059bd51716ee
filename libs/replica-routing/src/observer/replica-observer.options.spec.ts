import { resolveObserverOptions } from './replica-observer.options';

describe('resolveObserverOptions', () => {
  const primary = { url: 'postgres://127.0.0.1:1/x' };

  it.each([
    [{ intervalMs: 2 ** 31 }, /intervalMs must be a whole number from 10 to 2147483647/],
    [{ intervalMs: 5 }, /intervalMs must be a whole number from 10/],
    [{ timeoutMs: 2 ** 30 + 1 }, /timeoutMs must be a whole number from 1 to 1073741823/],
    [{ timeoutMs: 0.5 }, /timeoutMs must be a whole number/],
  ])('refuses %j, naming the observer’s own option', (options, message) => {
    expect(() => resolveObserverOptions({ primary, ...options })).toThrow(message);
  });

  it('takes the defaults and values in range', () => {
    expect(resolveObserverOptions({ primary, intervalMs: 1000, timeoutMs: 800 })).toMatchObject({
      intervalMs: 1000,
      timeoutMs: 800,
    });
  });
});
