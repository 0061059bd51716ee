import type { LocalCluster } from '../cluster/local-cluster';
import type { BenchSettings } from './bench.settings';
import type { CleanupRegistry } from './cleanup.registry';

/** What every section of the bench works with. */
export interface BenchContext {
  settings: BenchSettings;
  cluster: LocalCluster;
  /** The primary, as the API's role. */
  primaryUrl: string;
  /** Every replica of the cluster, in order, as the API's role. */
  replicas: { name: string; url: string }[];
  cleanup: CleanupRegistry;
  /** A progress line (`bench | ...`). */
  say(line: string): void;
}
