import { ROOT } from '../cluster/launcher.command';
import { prefixed, spawnChild } from './child.process';

/** Raised in the child's shell before node starts (root may raise the hard limit too). */
const FD_LIMIT = 65536;

export interface ResultProcessSpec {
  /** Shown in front of its lines (`<name> | ...`) and in the error if it gives no result. */
  name: string;
  /** The TypeScript entry point, run through ts-node without type checks. */
  entry: string;
  /** Node's own options, before the entry (`--experimental-async-context-frame`). */
  nodeOptions?: readonly string[];
  /** Added to this process's environment: its configuration. */
  env: NodeJS.ProcessEnv;
  /** What starts the stdout line that carries its result, as JSON. */
  resultPrefix: string;
  /** Gets a way to end it (SIGKILL, for a Ctrl+C); what it returns is called once it has exited. */
  onChild?: (stop: () => void) => (() => void) | void;
}

/**
 * Runs a load generator (the burst's, the storm's) in a child process with a
 * raised file-descriptor limit, and resolves with the result it prints; its
 * other lines are shown as `<name> | ...`, stdout on stdout and stderr on
 * stderr. Rejects if it exits without a result.
 */
export async function runForResult<T>(spec: ResultProcessSpec): Promise<T> {
  const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  const node = [
    process.execPath,
    ...(spec.nodeOptions ?? []),
    '-r',
    'ts-node/register/transpile-only',
    '-r',
    'tsconfig-paths/register',
    spec.entry,
  ];
  let result: T | undefined;
  const child = spawnChild({
    name: spec.name,
    command: 'bash',
    args: ['-c', script, spec.name, ...node],
    cwd: ROOT,
    env: { ...process.env, ...spec.env },
    onLine: (line, stream) => {
      if (stream === 'stderr') console.error(prefixed(spec.name, line));
      else if (line.startsWith(spec.resultPrefix))
        result = JSON.parse(line.slice(spec.resultPrefix.length)) as T;
      else console.log(prefixed(spec.name, line));
    },
  });
  // Synchronous up to the signal: safe in an 'exit' handler.
  const unregister = spec.onChild?.(() => void child.kill());
  const { code, signal } = await child.closed;
  unregister?.();
  if (result === undefined)
    throw new Error(
      `the ${spec.name} generator exited (${signal ?? `code ${code}`}) without a result`,
    );
  return result;
}
