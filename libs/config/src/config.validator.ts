import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/**
 * Builds a config object from the environment and validates it; on any bad
 * variable it throws one error that names every offender, so the process stops
 * at boot with a message instead of failing later.
 */
export function validateConfig<T extends object>(
  cls: new () => T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const plain = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const instance = plainToInstance(cls, plain, {
    enableImplicitConversion: true,
    exposeDefaultValues: true,
  });
  const errors = validateSync(instance, { whitelist: false, forbidUnknownValues: false });
  // Rules across variables: a config class may say which of its settings contradict each other.
  const conflicts = errors.length === 0 ? conflictsOf(instance) : [];
  if (errors.length > 0 || conflicts.length > 0) {
    const lines = errors.map((e) => {
      // Quote what was set, not what conversion made of it ("abc", not NaN).
      const raw = env[e.property];
      const shown = raw === undefined || raw === '' ? '(unset)' : JSON.stringify(raw);
      return `  ${e.property}=${shown}: ${Object.values(e.constraints ?? {}).join('; ')}`;
    });
    lines.push(...conflicts.map((c) => `  ${c}`));
    throw new Error(
      `Invalid configuration (fix these environment variables or .env):\n${lines.join('\n')}`,
    );
  }
  return instance;
}

function conflictsOf(instance: object): string[] {
  const check = (instance as { conflicts?: () => string[] }).conflicts;
  return typeof check === 'function' ? check.call(instance) : [];
}
