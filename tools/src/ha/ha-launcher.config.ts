import { DatabaseConfig } from '@app/config';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsString, Max, Min } from 'class-validator';
import { resolve } from 'node:path';
import { LOCAL_CREDENTIALS } from '../credentials';
import { MAX_NODES, MIN_NODES, type HaClusterOptions } from './ha.settings';

/**
 * `npm run cluster:ha`'s settings. POSTGRES_HOST, POSTGRES_PORT (node i on
 * POSTGRES_PORT + i) and POSTGRES_DB are the plain launcher's; the superuser
 * and the app roles are LOCAL_CREDENTIALS' and LOCAL_ROLES', as there.
 */
export class HaLauncherConfig extends DatabaseConfig {
  /** Where etcd and the nodes live; recreated on every start. */
  @IsString() HA_DATA_DIR = './.cluster-ha';
  /** Patroni nodes, named pg0, pg1, ... */
  @Type(() => Number) @IsInt() @Min(MIN_NODES) @Max(MAX_NODES) HA_NODES = 3;
  /** Patroni's REST API of node i on PATRONI_PORT + i (8008 is Patroni's own default). */
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) PATRONI_PORT = 8008;
  /** etcd's client port; its peer port is the next one. Not etcd's own 2379: Debian's etcd-server starts a system etcd there. */
  @Type(() => Number) @IsInt() @Min(1) @Max(65534) ETCD_PORT = 2479;
  /** `on`: commits wait for a synchronous standby, and only it may be promoted; `off`: asynchronous. */
  @IsIn(['on', 'off']) HA_SYNCHRONOUS = 'on';
  /** `off` trades crash safety of the OS for speed; a process crash (kill -9) loses nothing either way. */
  @IsIn(['on', 'off']) PG_FSYNC = 'on';

  get dataDir(): string {
    return resolve(this.HA_DATA_DIR);
  }

  /** The cluster these settings describe (`npm run start:ha` derives the apps' addresses from it too). */
  clusterOptions(): HaClusterOptions {
    return {
      dataDir: this.dataDir,
      nodes: this.HA_NODES,
      host: this.POSTGRES_HOST,
      postgresPort: this.POSTGRES_PORT,
      patroniPort: this.PATRONI_PORT,
      etcdPort: this.ETCD_PORT,
      synchronous: this.HA_SYNCHRONOUS === 'on',
      fsync: this.PG_FSYNC === 'on',
      // The superuser (Patroni's too); the app roles and their passwords are LOCAL_ROLES'.
      credentials: { ...LOCAL_CREDENTIALS, database: this.POSTGRES_DB },
    };
  }
}
