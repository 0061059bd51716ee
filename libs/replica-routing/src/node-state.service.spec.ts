import { Topology } from './topology/topology.service';
import type { ReplicaStatusRow } from './interfaces/replica-status.interface';
import { parseLsn } from './lsn.util';
import { NodeState } from './node-state.service';
import { resolveOptions } from './replica-routing.options';

const lsn = parseLsn;
const row = (name: string, at: string, observedAt: number, reachable = true): ReplicaStatusRow => ({
  name,
  role: name === 'primary' ? 'primary' : 'replica',
  lsn: lsn(at),
  observedAt,
  reachable,
  lagBytes: 0,
  lagSeconds: 0,
  error: null,
});

describe('NodeState', () => {
  const options = resolveOptions({
    primary: { url: 'postgres://p' },
    replicas: [
      { name: 'r0', url: 'postgres://r0' },
      { name: 'idle', url: 'postgres://idle', weight: 0 },
    ],
    replicaFailureThreshold: 3,
    replicaBenchMs: 5000,
    unreachableReportMs: 4000,
    waitPenaltyMs: 1000,
    primaryCooldownMs: 30_000,
  });
  let now: number;
  let state: NodeState;

  beforeEach(() => {
    now = 1_000_000;
    state = new NodeState(options, new Topology(options));
    // One time on both clocks; the wall clock steps apart in its own block below.
    state.now = () => now;
    state.elapsed = () => now;
  });

  describe('breaker', () => {
    it('benches a replica after the threshold of consecutive failures, then lets one try through', () => {
      state.recordFailure('r0', new Error('boom'));
      state.recordFailure('r0', new Error('boom'));
      expect(state.isBenched('r0')).toBe(false);
      state.recordFailure('r0', new Error('boom'));
      expect(state.isBenched('r0')).toBe(true);
      expect(state.retryInMs('r0')).toBe(5000);
      now += 5000;
      expect(state.isBenched('r0')).toBe(false);
      // Half-open: one more failure benches it again at once.
      state.recordFailure('r0', new Error('still down'));
      expect(state.isBenched('r0')).toBe(true);
      expect(state.get('r0').lastError).toBe('still down');
    });

    it('resets on success', () => {
      state.recordFailure('r0', new Error('x'));
      state.recordFailure('r0', new Error('x'));
      state.recordSuccess('r0');
      state.recordFailure('r0', new Error('x'));
      expect(state.isBenched('r0')).toBe(false);
      expect(state.get('r0').failures).toBe(1);
    });

    it('opens the primary breaker for a second, then for the cool-down once its trial fails', () => {
      state.recordFailure('primary', new Error('ECONNREFUSED'));
      expect(state.isBenched('primary')).toBe(true);
      expect(state.whyNot('primary')).toMatch(
        /^benched for 1\.0 s more after 1 failure\(s\) \(ECONNREFUSED\)/,
      );
      now += 1000;
      expect(state.admit('primary')).not.toBeNull(); // the trial
      state.recordFailure('primary', new Error('ECONNREFUSED'));
      now += 29_999;
      expect(state.isBenched('primary')).toBe(true);
      now += 1;
      expect(state.isBenched('primary')).toBe(false);
      state.recordSuccess('primary');
      expect(state.get('primary')).toMatchObject({ failures: 0, benchedUntil: 0 });
      expect(state.whyNot('primary')).toBeNull();
    });
  });

  it('lets one trial through a half-open breaker at a time; load is no verdict', () => {
    for (let i = 0; i < 3; i++) state.recordFailure('r0', new Error('ECONNREFUSED'));
    expect(state.admit('r0')).toBeNull();
    now += 5000;
    expect(state.admit('r0')).not.toBeNull();
    expect(state.admit('r0')).toBeNull(); // the trial is in flight
    expect(state.whyNot('r0')).toBe('half-open: one trial attempt is in flight');
    state.endTrial('r0'); // it met load: no verdict
    expect(state.admit('r0')).not.toBeNull();
    state.recordSuccess('r0');
    expect(state.admit('r0')).not.toBeNull();
    expect(state.admit('r0')).not.toBeNull(); // closed: everyone
  });

  it('takes no outcome of an attempt admitted before its name moved to another host', () => {
    const hosts = resolveOptions({
      hosts: ['a', 'b'].map((name) => ({ name, url: 'postgres://h' })),
    });
    const topology = new Topology(hosts);
    const moved = new NodeState(hosts, topology);
    topology.apply({ primary: 'a', replicas: [], timeline: 1 });
    const onA = moved.admit('primary')!;
    topology.apply({ primary: 'b', replicas: [], timeline: 2 });
    moved.recordFailure('primary', new Error('ECONNREFUSED'), onA);
    expect(moved.isBenched('primary')).toBe(false);
    const onB = moved.admit('primary')!;
    moved.recordFailure('primary', new Error('ECONNREFUSED'), onB);
    expect(moved.isBenched('primary')).toBe(true);
    moved.recordSuccess('primary', onA); // the old host's late answer says nothing of b
    expect(moved.isBenched('primary')).toBe(true);
  });

  it('counts a replica as lagging by what this process knows of the primary, while the observer is quiet', () => {
    const lagging = resolveOptions({
      primary: { url: 'postgres://p' },
      replicas: [{ name: 'r0', url: 'postgres://r0' }],
      tokenlessReads: 'replica',
      maxLagBytes: 1000,
    });
    const s = new NodeState(lagging, new Topology(lagging));
    s.applyStatusRows([row('r0', '0/5000', 1000)]); // the observer's last row: 0 bytes behind
    expect(s.whyNot('r0', null)).toBeNull();
    s.observePrimary(lsn('0/6000')); // writes went on; the observer says nothing more
    expect(s.whyNot('r0', null)).toBe('lags 4096 bytes, more than maxLagBytes (1000)');
    expect(s.candidates()[0]!.lagBytes).toBe(4096);
  });

  describe('reachability', () => {
    it('never tries a replica never observed', () => {
      expect(state.candidates()[0]).toMatchObject({ name: 'r0', available: false });
      expect(state.whyNot('r0')).toMatch(/never observed/);
    });

    it('skips a replica reported unreachable while the news is fresh, and a repeated row brings no news', () => {
      state.applyStatusRows([row('r0', '0/5000', 1000, false)]);
      expect(state.whyNot('r0')).toBe('reported unreachable 0.0 s ago; tried again in 4.0 s');
      now += 3999;
      state.applyStatusRows([row('r0', '0/5000', 1000, false)]); // the observer is down: no news
      expect(state.candidates()[0]!.available).toBe(false);
      now += 1;
      expect(state.candidates()[0]!.available).toBe(true);
      // A newer row saying the same thing makes the news fresh again.
      state.applyStatusRows([row('r0', '0/5000', 2000, false)]);
      expect(state.candidates()[0]!.available).toBe(false);
    });

    it('takes no position from a row saying it is unreachable (the one its table kept)', () => {
      state.applyStatusRows([row('r0', '0/5000', 1000)]);
      // Re-cloned: a read finds it behind what the observer last saw.
      state.observeReplay('r0', lsn('0/1000'));
      // The observer cannot reach it; its row keeps 0/5000 with a newer time.
      now += 10;
      state.applyStatusRows([row('r0', '0/5000', now, false)]);
      expect(state.get('r0').lsn).toBe(lsn('0/1000'));
      // Reachable again: its row is news.
      state.applyStatusRows([row('r0', '0/1800', now + 1)]);
      expect(state.get('r0').lsn).toBe(lsn('0/1800'));
    });

    it('a failed read reports it likewise, and a read that succeeds clears it', () => {
      state.applyStatusRows([row('r0', '0/5000', 1000)]);
      expect(state.whyNot('r0')).toBeNull();
      state.recordFailure('r0', new Error('connection terminated'));
      expect(state.candidates()[0]!.available).toBe(false);
      now += options.unreachableReportMs;
      expect(state.candidates()[0]!.available).toBe(true);
      state.recordFailure('r0', new Error('connection terminated'));
      state.observeReplay('r0', lsn('0/6000'));
      expect(state.candidates()[0]!.available).toBe(true);
      expect(state.get('r0').lsn).toBe(lsn('0/5000')); // reads never raise it
    });
  });

  describe('positions', () => {
    it('reads may lower a position (re-cloned replica), never raise it; newer rows raise it', () => {
      state.applyStatusRows([row('r0', '0/5000', 1000)]);
      state.observeReplay('r0', lsn('0/4000'));
      expect(state.get('r0')).toMatchObject({ lsn: lsn('0/4000'), source: 'read' });
      state.applyStatusRows([row('r0', '0/9000', 500)]); // older than the read: ignored
      expect(state.get('r0').lsn).toBe(lsn('0/4000'));
      state.applyStatusRows([row('r0', '0/9000', now + 1)]);
      expect(state.get('r0')).toMatchObject({ lsn: lsn('0/9000'), source: 'observer' });
    });

    it('knows the primary position read since a time, for reads with a staleness bound', () => {
      expect(state.primaryPositionSince(0)).toBeNull();
      state.applyStatusRows([row('primary', '0/7000', now - 800)]);
      expect(state.primaryPositionSince(now - 1000)).toBe(lsn('0/7000'));
      expect(state.primaryPositionSince(now - 500)).toBeNull();
      state.observePrimary(lsn('0/9000')); // no time (a signed token): not a sample
      expect(state.primaryPositionSince(now - 500)).toBeNull();
      state.observePrimary(lsn('0/8000'), now); // a write's token, read just now
      expect(state.primaryPositionSince(now - 500)).toBe(lsn('0/8000'));
      expect(state.primaryLsn).toBe(lsn('0/9000'));
    });

    it('keeps the highest primary position seen', () => {
      state.applyStatusRows([row('primary', '0/7000', 1000)]);
      state.observePrimary(lsn('0/6000'));
      expect(state.primaryLsn).toBe(lsn('0/7000'));
      state.observePrimary(lsn('0/8000'));
      expect(state.primaryLsn).toBe(lsn('0/8000'));
    });
  });

  it('does not guess or wait on a replica that refused until it moves or the penalty ends', () => {
    state.applyStatusRows([row('r0', '0/5000', 1000)]);
    state.recordRefusal('r0');
    expect(state.candidates()[0]!.waitable).toBe(false);
    state.applyStatusRows([row('r0', '0/5001', 2000)]);
    expect(state.candidates()[0]!.waitable).toBe(true);
    state.recordRefusal('r0');
    expect(state.candidates()[0]!.waitable).toBe(false);
    now += options.waitPenaltyMs;
    expect(state.candidates()[0]!.waitable).toBe(true);
  });

  describe('on a wall clock that steps', () => {
    const HOUR = 3_600_000;
    let wall: number;
    let elapsed: number;

    // Both clocks stubbed before the state is made: a clock it captured then is the stub too.
    beforeEach(() => {
      wall = 1_000_000_000;
      elapsed = 50_000;
      jest.spyOn(Date, 'now').mockImplementation(() => wall);
      jest.spyOn(performance, 'now').mockImplementation(() => elapsed);
    });
    afterEach(() => jest.restoreAllMocks());

    const stepped = (ms: number) => {
      wall += ms;
      elapsed += Math.max(ms, 0);
    };

    it('a bench, a wait penalty and fresh unreachable news last their time, not the step’s', () => {
      const s = new NodeState(options, new Topology(options));
      s.applyStatusRows([row('r0', '0/5000', wall)]);
      s.recordRefusal('r0');
      for (let i = 0; i < 3; i++) s.recordFailure('r0', new Error('ECONNREFUSED'));
      expect(s.isBenched('r0')).toBe(true);
      stepped(-HOUR); // NTP steps the clock an hour back: no time passed
      elapsed += options.replicaBenchMs;
      expect(s.isBenched('r0')).toBe(false);
      expect(s.retryInMs('r0')).toBe(0);
      expect(s.candidates()[0]).toMatchObject({ available: true, waitable: true });
    });

    it('a half-open trial lasts its limit, not the step’s', () => {
      const s = new NodeState(options, new Topology(options));
      for (let i = 0; i < 3; i++) s.recordFailure('r0', new Error('ECONNREFUSED'));
      elapsed += options.replicaBenchMs;
      expect(s.admit('r0')).not.toBeNull(); // the trial, which never reports back
      stepped(-HOUR);
      elapsed += options.statementTimeoutMs + options.connectTimeoutMs;
      expect(s.admit('r0')).not.toBeNull();
    });

    it('a step forward ends nothing early', () => {
      const s = new NodeState(options, new Topology(options));
      for (let i = 0; i < 3; i++) s.recordFailure('r0', new Error('ECONNREFUSED'));
      wall += HOUR;
      expect(s.isBenched('r0')).toBe(true);
    });
  });

  describe('whyNot', () => {
    beforeEach(() =>
      state.applyStatusRows([row('r0', '0/5000', 1000), row('idle', '0/5000', 1000)]),
    );

    it('answers for a token: behind it, or able to serve it', () => {
      expect(state.whyNot('r0', lsn('0/5000'))).toBeNull();
      expect(state.whyNot('r0', lsn('0/6000'))).toBe(
        'known to have replayed 0/5000, the read needs 0/6000',
      );
    });

    it('names tokenless reads kept on the primary, weight 0 and unknown nodes', () => {
      expect(state.whyNot('r0', null)).toMatch(/tokenlessReads: 'primary'/);
      expect(state.whyNot('idle')).toBe('weight 0: out of rotation');
      expect(state.whyNot('nope')).toBe('not a configured node');
    });

    it('puts the breaker first', () => {
      for (let i = 0; i < 3; i++) state.recordFailure('r0', new Error('ECONNREFUSED'));
      expect(state.whyNot('r0', lsn('0/1'))).toMatch(/^benched for 5\.0 s more after 3 failure/);
    });
  });
});
