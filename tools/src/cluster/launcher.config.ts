import { DatabaseConfig } from '@app/config';
import { IsIn, IsString } from 'class-validator';
import { resolve } from 'node:path';

export class LauncherConfig extends DatabaseConfig {
  /** Where the cluster lives; recreated on every start. */
  @IsString() DATA_DIR = './.cluster';
  /** `off` trades crash safety of the OS for speed; a process crash (kill -9) loses nothing either way. */
  @IsIn(['on', 'off']) PG_FSYNC = 'on';

  get dataDir(): string {
    return resolve(this.DATA_DIR);
  }
}
