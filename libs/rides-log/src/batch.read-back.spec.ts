import {
  InvalidConsistencyTokenError,
  WriteLostError,
  type ReplicaRouter,
} from '@app/replica-routing';
import type { EntityManager } from 'typeorm';
import { readBack } from './batch.read-back';
import type { Decoded } from './log.envelope';

describe('readBack', () => {
  const ride = (id: number, token: string) =>
    ({
      ok: true,
      envelope: { seq: BigInt(id), token },
      ride: { ride_id: id, user_id: 1, distance: '1.5' },
    }) as unknown as Extract<Decoded, { ok: true }>;

  /** A router that refuses the token as the core does when its secret differs, and has the rides on the primary. */
  function router(rejection: 'bad_signature' | 'malformed') {
    const read = jest.fn((work: unknown, options: { token?: string; primary?: boolean }) =>
      options.primary
        ? Promise.resolve({
            result: [{ id: '7', distance: '1.5' }],
            servedBy: 'primary',
          })
        : Promise.reject(new InvalidConsistencyTokenError(options.token!, 'no', rejection)),
    );
    return { read, router: { read } as unknown as ReplicaRouter<EntityManager> };
  }

  it('reads a batch signed with another secret back on the primary, and says so', async () => {
    const { read, router: r } = router('bad_signature');
    const warned: string[] = [];
    await expect(readBack(r, [ride(7, '1:0/10.sig')], (m) => warned.push(m))).resolves.toBe(
      'primary',
    );
    expect(read).toHaveBeenCalledTimes(2);
    expect(warned).toEqual([expect.stringMatching(/another TOKEN_SECRET/)]);
    // The same words for every such batch (the warner says it once).
    await readBack(r, [ride(7, '1:0/20.sig')], (m) => warned.push(m));
    expect(new Set(warned).size).toBe(1);
  });

  /** A router that refuses every token as lost in a failover, and has `onPrimary` on the primary. */
  function lostRouter(onPrimary: { id: string; distance: string }[]) {
    const read = jest.fn((work: unknown, options: { token?: string; primary?: boolean }) =>
      options.primary
        ? Promise.resolve({ result: onPrimary, servedBy: 'primary' })
        : Promise.reject(new WriteLostError(options.token!, 'lost', 'past the end of timeline 1')),
    );
    return { read, router: { read } as unknown as ReplicaRouter<EntityManager> };
  }

  it('counts a batch whose token a failover lost when its rides survived: read back on the primary', async () => {
    // Published before the failover, sent again with its old token: without this, every read-back
    // failed with WriteLostError and the consumers waited on the batch for ever.
    const { read, router: r } = lostRouter([{ id: '7', distance: '1.5' }]);
    await expect(readBack(r, [ride(7, '1:0/10.sig')], () => undefined)).resolves.toBe('primary');
    expect(read).toHaveBeenLastCalledWith(expect.any(Function), { primary: true, cover: false });
  });

  it('fails a batch whose token a failover lost with that error when a ride did not survive', async () => {
    const { router: r } = lostRouter([]);
    await expect(readBack(r, [ride(7, '1:0/10.sig')], () => undefined)).rejects.toBeInstanceOf(
      WriteLostError,
    );
  });

  it('lets any other refusal of the token fail the batch', async () => {
    const { router: r } = router('malformed');
    await expect(readBack(r, [ride(7, 'nope')], () => undefined)).rejects.toBeInstanceOf(
      InvalidConsistencyTokenError,
    );
  });
});
