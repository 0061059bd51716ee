import { writeFileSync } from 'node:fs';
import type { BenchSettings } from './bench.settings';
import type { MachineInfo } from './machine.info';
import type { LibraryOverhead } from './overhead.section';
import type { RetryStorm } from './retry-storm.section';
import type { Sections, Target } from './targets.summary';
import type { TypeormReplication } from './typeorm-replication.section';
import type { UnifiedLogBench } from './unified-log.section';

/** Everything one run measured: the file BENCH_OUT names. */
export interface BenchResults {
  date: string;
  machine: MachineInfo;
  settings: Pick<BenchSettings, 'seconds' | 'connections' | 'postgresPort' | 'warmupMs'>;
  /** Every section; with BENCH_ONLY, the one asked for alone. */
  sections: Partial<
    Sections & {
      typeormReplication: TypeormReplication;
      retryStorm: RetryStorm;
      unifiedLog: UnifiedLogBench;
      libraryOverhead: LibraryOverhead;
    }
  >;
  targets: Target[];
}

export function writeResults(file: string, results: BenchResults): void {
  // NaN (a phase without samples) is not JSON: it becomes null.
  const json = JSON.stringify(
    results,
    (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value),
    2,
  );
  writeFileSync(file, `${json}\n`);
}
