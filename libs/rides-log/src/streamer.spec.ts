import { EventEmitter, getEventListeners } from 'node:events';
import type Redis from 'ioredis';
import type { Client } from 'pg';
import { Streamer } from './streamer';
import type { StreamerOptions } from './streamer.options';

describe('Streamer, idling between rounds', () => {
  it('leaves no listener on the process-long signal behind, however often it idles', async () => {
    const streamer = new Streamer(
      () => Promise.reject<Client>(new Error('no database here')),
      new EventEmitter() as unknown as Redis,
      () => 'a token',
      { pollMs: 1 } as StreamerOptions,
    );
    const idle = (streamer as unknown as { idle(s: AbortSignal, l: Promise<never>): Promise<void> })
      .idle;
    const signal = new AbortController().signal;
    const lost = new Promise<never>(() => undefined);
    for (let i = 0; i < 50; i++) await idle.call(streamer, signal, lost);
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });
});
