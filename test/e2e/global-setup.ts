// Jest runs a global setup with Node's own require: no setupFiles, no moduleNameMapper.
import 'reflect-metadata';
import 'tsconfig-paths/register';
import { LAUNCHER_READY, launcherCommand } from '@app/dev-tools';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { e2eEnv } from './e2e.env';

/**
 * Starts a private cluster with the real launcher (`tools/bin/cluster.ts`), the
 * same code `npm run cluster` runs, and waits until every replica streams.
 */
export default async function globalSetup(): Promise<void> {
  const env = e2eEnv();
  if (env.external) return;
  const logFile = `${env.dataDir}.log`;
  const log = openSync(logFile, 'w');
  const { command, args, cwd } = launcherCommand();
  const launcher = spawn(command, args, {
    cwd,
    env: {
      ...process.env,
      POSTGRES_PORT: String(env.port),
      NUM_REPLICAS: String(env.replicas),
      DATA_DIR: env.dataDir,
      POSTGRES_USER: env.user,
      POSTGRES_PASSWORD: env.password,
      POSTGRES_DB: env.database,
      PG_FSYNC: 'off',
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  (globalThis as { __E2E_LAUNCHER__?: typeof launcher }).__E2E_LAUNCHER__ = launcher;
  const deadline = Date.now() + 120_000;
  for (;;) {
    const output = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    if (output.includes(LAUNCHER_READY)) return;
    if (launcher.exitCode !== null || Date.now() > deadline) {
      launcher.kill('SIGTERM');
      throw new Error(`The test cluster did not start. Launcher output (${logFile}):\n${output}`);
    }
    await sleep(200);
  }
}
