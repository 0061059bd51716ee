/**
 * The retry storm's load generator, in a child process of the bench (its
 * sockets share neither the API's event loop nor its file descriptors).
 * Configured by STORM_CONFIG (JSON, StormConfig); runs the stages in turn,
 * then `writesAfter` writes, 10 at a time; prints one line,
 * `STORM_RESULT <json>` (StormResult), and exits.
 */
import {
  runStormStage,
  type StormStage,
  type StormStageSpec,
  type StormTarget,
} from './storm.stage';

export interface StormConfig extends StormTarget {
  /** Run in order; a warm-up is a stage too (the caller ignores it). */
  stages: StormStageSpec[];
  writesAfter: number;
}

export interface StormResult {
  stages: StormStage[];
  /** Writes sent right after the last stage: each must be a 201. */
  after: { sent: number; created: number; failures: string[] };
}

export const STORM_RESULT = 'STORM_RESULT ';

async function main(): Promise<void> {
  const config = JSON.parse(process.env.STORM_CONFIG ?? '') as StormConfig;
  const stages: StormStage[] = [];
  for (const spec of config.stages) stages.push(await runStormStage(config, spec));
  const after = await writesAfter(config);
  const result: StormResult = { stages, after };
  process.stdout.write(`${STORM_RESULT}${JSON.stringify(result)}\n`);
}

async function writesAfter(config: StormConfig): Promise<StormResult['after']> {
  const failures: string[] = [];
  let created = 0;
  let next = 0;
  const write = async (n: number) => {
    try {
      const response = await fetch(`${config.url}/rides`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${config.apiKeys[n % config.apiKeys.length]}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ distance: 20 }),
        signal: AbortSignal.timeout(config.timeoutS * 1000),
      });
      const body = await response.text();
      if (response.status === 201) created++;
      else failures.push(`${response.status} ${body.slice(0, 160)}`);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  };
  const worker = async () => {
    for (let n = next++; n < config.writesAfter; n = next++) await write(n);
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return { sent: config.writesAfter, created, failures };
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
