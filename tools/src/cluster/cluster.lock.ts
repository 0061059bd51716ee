import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { isAlive } from '../process/process.probe';

/**
 * An exclusive lock file holding the owner's pid, so that a second launcher on
 * the same data directory fails at once instead of wiping the first one's
 * cluster. A lock left by a dead process is taken over.
 */
export class ClusterLock {
  private held = false;

  /** `elsewhere`: which variables move a second launcher elsewhere (the HA launcher has its own). */
  constructor(
    private readonly path: string,
    private readonly elsewhere = 'DATA_DIR and POSTGRES_PORT',
  ) {}

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, 'wx');
        writeSync(fd, String(process.pid));
        closeSync(fd);
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const owner = Number(readFileSync(this.path, 'utf8').trim());
        if (owner && isAlive(owner)) {
          throw new Error(
            `Another cluster launcher (pid ${owner}) is using this data directory (lock ${this.path}).\n` +
              '  Stop it first (Ctrl+C in its terminal, or `kill ' +
              owner +
              `\`), or set ${this.elsewhere} to run a second one.`,
          );
        }
        unlinkSync(this.path);
      }
    }
    throw new Error(`Could not take the lock ${this.path}`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
