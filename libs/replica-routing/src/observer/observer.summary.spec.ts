import type { ReplicaStatusRow } from '../interfaces/replica-status.interface';
import { parseLsn } from '../lsn.util';
import { NodeChanges, summarize } from './observer.summary';

const row = (name: string, extra: Partial<ReplicaStatusRow> = {}): ReplicaStatusRow => ({
  name,
  role: name === 'primary' ? 'primary' : 'replica',
  lsn: parseLsn('0/19A3018'),
  observedAt: 0,
  reachable: true,
  lagBytes: name === 'primary' ? null : 0,
  lagSeconds: null,
  error: null,
  ...extra,
});

describe('observer tick summary', () => {
  it('names the primary position once and each replica by its lag', () => {
    expect(
      summarize([
        row('primary'),
        row('replica0'),
        row('replica1', { lagBytes: 120 }),
        row('replica2', {
          reachable: false,
          lsn: null,
          error: 'connect ECONNREFUSED 127.0.0.1:5436',
        }),
      ]),
    ).toBe(
      'primary 0/19A3018; lag replica0 0B, replica1 120B, replica2 DOWN (connect ECONNREFUSED 127.0.0.1:5436)',
    );
  });

  it('says when the primary itself is down', () => {
    expect(
      summarize([
        row('primary', { reachable: false, lsn: null, error: 'timeout' }),
        row('replica0', { lagBytes: null }),
      ]),
    ).toBe('primary DOWN (timeout); lag replica0 at 0/19A3018');
  });
});

describe('observer state changes', () => {
  it('says when a node goes down and when it is back, once each', () => {
    const changes = new NodeChanges();
    expect(changes.update([row('primary'), row('replica0')])).toEqual([]);
    const down = row('replica0', { reachable: false, lsn: null, error: 'connect ECONNREFUSED' });
    expect(changes.update([row('primary'), down])).toEqual([
      'replica0 is DOWN (connect ECONNREFUSED)',
    ]);
    expect(changes.update([row('primary'), down])).toEqual([]);
    expect(changes.update([row('primary'), row('replica0')])).toEqual(['replica0 is back']);
  });
});
