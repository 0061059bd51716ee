import { medianRound, namedStages, pairRounds, pooledRatio } from './storm.rounds';
import type { StormStage } from './storm.stage';

const stage = (label: string, createdPerSecond: number) =>
  ({ label, createdPerSecond }) as StormStage;

describe('pairRounds', () => {
  it('pairs each calm stage with the storm after it', () => {
    const rounds = pairRounds([
      stage('calm', 400),
      stage('storm', 320),
      stage('calm', 300),
      stage('storm', 330),
    ]);
    expect(rounds.map((r) => [r.calm.createdPerSecond, r.storm.createdPerSecond])).toEqual([
      [400, 320],
      [300, 330],
    ]);
    expect(rounds.map((r) => r.ratio)).toEqual([0.8, 1.1]);
  });

  it('gives a ratio of 0 when the calm made nothing, and refuses an odd stage count', () => {
    expect(pairRounds([stage('calm', 0), stage('storm', 10)])[0]!.ratio).toBe(0);
    expect(() => pairRounds([stage('calm', 1)])).toThrow('1 stages, not calm/storm pairs');
    expect(() => pairRounds([])).toThrow('0 stages');
    expect(() => pairRounds([stage('storm', 1), stage('calm', 1)])).toThrow(
      'stages 1-2 are storm, calm',
    );
  });
});

describe('medianRound', () => {
  const rounds = (...ratios: number[]) =>
    ratios.map((ratio) => ({
      calm: stage('calm', 100),
      storm: stage('storm', ratio * 100),
      ratio,
    }));

  it('takes the middle ratio, so one round disturbed either way does not decide', () => {
    expect(medianRound(rounds(0.79, 1.0, 0.97)).ratio).toBe(0.97);
    expect(medianRound(rounds(1.3, 0.7, 0.75)).ratio).toBe(0.75);
  });

  it('takes the lower middle of an even count, and the one round of one', () => {
    expect(medianRound(rounds(0.9, 0.7)).ratio).toBe(0.7);
    expect(medianRound(rounds(0.5)).ratio).toBe(0.5);
    expect(() => medianRound([])).toThrow('none');
  });
});

describe('pooledRatio', () => {
  it('divides the storms’ mean rate by the calms’', () => {
    const rounds = pairRounds([
      stage('calm', 400),
      stage('storm', 300),
      stage('calm', 200),
      stage('storm', 240),
    ]);
    expect(pooledRatio(rounds)).toBeCloseTo(540 / 600);
    expect(pooledRatio([])).toBe(0);
  });
});

describe('namedStages', () => {
  it('names the warm-up’s stages, then each round’s calm and storm, in order', () => {
    const rounds = pairRounds([
      stage('calm', 1),
      stage('storm', 2),
      stage('calm', 3),
      stage('storm', 4),
    ]);
    const named = namedStages({ warmUp: [stage('warm-up', 5), stage('warm-up', 6)], rounds });
    expect(named.map(([name, s]) => [name, s.createdPerSecond])).toEqual([
      ['warm-up', 5],
      ['warm-up', 6],
      ['round 1 calm', 1],
      ['round 1 storm', 2],
      ['round 2 calm', 3],
      ['round 2 storm', 4],
    ]);
  });
});
