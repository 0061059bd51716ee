import type { RetryStorm, StormRun } from './retry-storm.section';
import { STORM } from './retry-storm.section';
import { medianRound, pairRounds } from './storm.rounds';
import type { StormStage } from './storm.stage';
import { stormTargets } from './storm.targets';

const stage = (label: string, createdPerSecond: number, extra: Partial<StormStage> = {}) =>
  ({
    label,
    createdPerSecond,
    created: createdPerSecond * 6,
    timeouts: 0,
    connectionErrors: 0,
    bad: 0,
    ms201: { p50: 2000, p99: 2500, max: 2600 },
    ...extra,
  }) as StormStage;

const run = (stages: StormStage[]): StormRun => {
  const rounds = pairRounds(stages);
  return {
    ...medianRound(rounds),
    rounds,
    warmUp: [stage('warm-up', 400), stage('warm-up', 400)],
    after: { sent: 20, created: 20, failures: [] },
  };
};

const storm = (proxy: StormStage[]): RetryStorm => ({
  proxy: run(proxy),
  direct: run([stage('calm', 400), stage('storm', 8)]),
  settings: { ...STORM, calmSeconds: 3, stormSeconds: 6 },
});

const met = (result: RetryStorm) => stormTargets(result).map((t) => t.met);

describe('stormTargets', () => {
  it('judges the goodput on the round of median ratio, not on one disturbed round', () => {
    const rounds = [
      stage('calm', 400),
      stage('storm', 316), // 0.79
      stage('calm', 400),
      stage('storm', 380),
      stage('calm', 300),
      stage('storm', 290),
    ];
    const [ratio] = stormTargets(storm(rounds));
    expect(ratio!.met).toBe(true);
    expect(ratio!.values.ratio).toBeCloseTo(0.95);
    expect(ratio!.values.round1Ratio).toBeCloseTo(0.79);
  });

  it('misses the goodput when most rounds lose it', () => {
    const rounds = [
      stage('calm', 400),
      stage('storm', 300),
      stage('calm', 400),
      stage('storm', 400),
      stage('calm', 400),
      stage('storm', 310),
    ];
    expect(met(storm(rounds))[0]).toBe(false);
  });

  it('holds the p99, the timeouts and the other answers in every round, the median’s or not', () => {
    const good = [stage('calm', 400), stage('storm', 400)];
    const slow = [
      stage('calm', 400),
      stage('storm', 300, { ms201: { p50: 1, p99: 6000, max: 1 } }),
    ];
    const timedOut = [stage('calm', 400, { timeouts: 1 }), stage('storm', 300)];
    const badAnswer = [stage('calm', 400), stage('storm', 300, { bad: 2 })];
    expect(met(storm([...good, ...good, ...good]))).toEqual([true, true, true, true]);
    expect(met(storm([...good, ...slow, ...good]))).toEqual([true, false, true, true]);
    expect(met(storm([...good, ...timedOut, ...good]))).toEqual([true, true, false, true]);
    expect(met(storm([...good, ...badAnswer, ...good]))).toEqual([true, true, false, true]);
  });

  it('counts a timeout in the warm-up too', () => {
    const result = storm([stage('calm', 400), stage('storm', 400)]);
    result.proxy.warmUp[1] = stage('warm-up', 400, { timeouts: 1 });
    expect(met(result)).toEqual([true, true, false, true]);
  });
});
