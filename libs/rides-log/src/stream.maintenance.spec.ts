import type { Logger } from '@nestjs/common';
import type { OutboxStore } from './outbox.store';
import type { StreamPublisher } from './stream.publisher';
import { maintainStream } from './stream.maintenance';

const logger = { warn: () => undefined } as unknown as Logger;
const options = { batch: 10, retentionS: 60 };
const event = (seq: bigint) => ({ seq }) as unknown;

/**
 * An outbox that published up to seq 3 and a stream that ends at `end`
 * (below 3: Redis lost the rest); `fail` names the step that throws.
 */
function fakes(fail?: 'bounds' | 'trim', foreignOnRepublish = 0, end = 3n, foreignNext = 0) {
  const calls: string[] = [];
  const step = (name: string) => {
    calls.push(name);
    if (name === fail) return Promise.reject(new Error(`${name} failed`));
    return Promise.resolve();
  };
  const publisher = {
    bounds: () => step('bounds').then(() => ({ first: 1n, last: end, top: end, length: end })),
    reset: () => step('reset'),
    publish: (events: unknown[]) =>
      step('publish').then(() => ({
        added: events.length,
        duplicates: 0,
        foreign: foreignOnRepublish,
      })),
    trimBelow: () => step('trim'),
    foreignAmong: () => step('foreignAmong').then(() => foreignNext),
  } as unknown as StreamPublisher;
  const store = {
    positions: () =>
      step('positions').then(() => ({
        published: 3n,
        sequenced: 3n,
        slowest: 0n,
        reading: [0n],
        oldest: 1n,
      })),
    published: (from: bigint) => step('published').then(() => (from < 3n ? [event(3n)] : [])),
    retain: () => step('retain'),
    backlog: () => step('backlog').then(() => ({ events: 0, oldestS: 0 })),
  } as unknown as OutboxStore;
  return { store, publisher, calls };
}

describe('maintainStream', () => {
  it('rebuilds the stream when a publish met foreign entries, and then clears the flag', async () => {
    const { store, publisher, calls } = fakes();
    const seen = { foreign: true };
    await maintainStream(store, publisher, options, seen, logger);
    expect(calls).toContain('reset');
    expect(seen.foreign).toBe(false);
  });

  it('rebuilds when what the slowest consumer reads next is another history’s, though no publish met it', async () => {
    // The stream is whole up to what the outbox published (nothing to publish again), but seq 3 is
    // another event: Redis went back to entries written before a rebuild.
    const { store, publisher, calls } = fakes(undefined, 0, 3n, 1);
    await maintainStream(store, publisher, options, { foreign: false }, logger);
    expect(calls).toContain('reset');
    const whole = fakes(undefined, 0, 3n, 0);
    await maintainStream(whole.store, whole.publisher, options, { foreign: false }, logger);
    expect(whole.calls).not.toContain('reset');
  });

  it('rebuilds when what a faster consumer reads next is another history’s, whatever the slowest reads', async () => {
    // Consumers at 0 (stopped, say) and at 2; seq 3 is another event. A batch of one from each.
    const calls: string[] = [];
    const publisher = {
      bounds: () => Promise.resolve({ first: 1n, last: 3n, top: 3n, length: 3n }),
      reset: () => Promise.resolve(calls.push('reset')),
      publish: (events: unknown[]) =>
        Promise.resolve({ added: events.length, duplicates: 0, foreign: 0 }),
      trimBelow: () => Promise.resolve(0),
      foreignAmong: (events: { seq: bigint }[]) =>
        Promise.resolve(events.filter((e) => e.seq === 3n).length),
    } as unknown as StreamPublisher;
    const store = {
      positions: () =>
        Promise.resolve({
          published: 3n,
          sequenced: 3n,
          slowest: 0n,
          reading: [0n, 2n],
          oldest: 1n,
        }),
      published: (from: bigint, upTo: bigint) =>
        Promise.resolve(from < upTo ? [event(from + 1n)] : []),
      retain: () => Promise.resolve(0),
      backlog: () => Promise.resolve({ events: 0, oldestS: 0 }),
    } as unknown as OutboxStore;
    await maintainStream(store, publisher, { ...options, batch: 1 }, { foreign: false }, logger);
    expect(calls).toEqual(['reset']);
  });

  it('keeps the flag when it fails before the rebuild: the next maintenance rebuilds', async () => {
    const { store, publisher, calls } = fakes('bounds');
    const seen = { foreign: true };
    await expect(maintainStream(store, publisher, options, seen, logger)).rejects.toThrow();
    expect(calls).not.toContain('reset');
    expect(seen.foreign).toBe(true);
  });

  it('raises the flag the moment a republish meets foreign entries, whatever fails after', async () => {
    const { store, publisher, calls } = fakes('trim', 1, 1n);
    const seen = { foreign: false };
    await expect(maintainStream(store, publisher, options, seen, logger)).rejects.toThrow();
    expect(calls).toContain('publish');
    expect(seen.foreign).toBe(true);
  });
});
