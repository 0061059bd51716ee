import type { StormStage } from './storm.stage';

/** One calm stage and the storm right after it. */
export interface StormRound {
  calm: StormStage;
  storm: StormStage;
  /** The storm's 201/s over the calm's (0 when the calm made none). */
  ratio: number;
}

/** Pairs `[calm, storm, calm, storm, ...]` into rounds. */
export function pairRounds(stages: StormStage[]): StormRound[] {
  if (stages.length === 0 || stages.length % 2 !== 0)
    throw new Error(`storm rounds: ${stages.length} stages, not calm/storm pairs`);
  const rounds: StormRound[] = [];
  for (let i = 0; i < stages.length; i += 2) {
    const calm = stages[i]!;
    const storm = stages[i + 1]!;
    if (calm.label !== 'calm' || storm.label !== 'storm')
      throw new Error(`storm rounds: stages ${i + 1}-${i + 2} are ${calm.label}, ${storm.label}`);
    const ratio = calm.createdPerSecond > 0 ? storm.createdPerSecond / calm.createdPerSecond : 0;
    rounds.push({ calm, storm, ratio });
  }
  return rounds;
}

/** Every stage of a run, the warm-up's first, each with its name: what is judged in each. */
export function namedStages(run: {
  warmUp: StormStage[];
  rounds: StormRound[];
}): (readonly [string, StormStage])[] {
  return [
    ...run.warmUp.map((s) => ['warm-up', s] as const),
    ...run.rounds.flatMap((r, i) => [
      [`round ${i + 1} calm`, r.calm] as const,
      [`round ${i + 1} storm`, r.storm] as const,
    ]),
  ];
}

/**
 * The round of median ratio (the lower one of an even count): what a few
 * seconds of other work on a shared machine do to one round does not decide
 * the target, while a storm that always loses goodput loses it in every round.
 */
export function medianRound(rounds: StormRound[]): StormRound {
  if (rounds.length === 0) throw new Error('storm rounds: none');
  const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** All rounds together: the storms' 201s a second over the calms' (a second view of the median). */
export function pooledRatio(rounds: StormRound[]): number {
  const rate = (stages: StormStage[]) =>
    stages.reduce((n, s) => n + s.createdPerSecond, 0) / Math.max(1, stages.length);
  const calm = rate(rounds.map((r) => r.calm));
  return calm > 0 ? rate(rounds.map((r) => r.storm)) / calm : 0;
}
