import { postgresUrl } from '@app/config';
import type { Login } from '../credentials';
import { haEnv, type HaEnv } from './ha.env';
import { haNodes, type HaNode, type HaSettings } from './ha.settings';

/** Where a cluster's nodes are: their Postgres URLs, as any role, and their REST APIs. */
export class HaAddresses {
  readonly nodes: readonly HaNode[];

  constructor(readonly settings: HaSettings) {
    this.nodes = haNodes(settings);
  }

  node(name: string): HaNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node)
      throw new Error(
        `No node ${name} in this cluster (${this.nodes.map((n) => n.name).join(', ')})`,
      );
    return node;
  }

  /** The superuser's URL of a node: for administration, not for an app. */
  url(name: string, database = this.settings.credentials.database): string {
    const { user, password } = this.settings.credentials;
    const { host } = this.settings;
    return postgresUrl({ host, port: this.node(name).postgresPort, user, password, database });
  }

  /** A node's URL for one of the cluster's roles (`settings.roles.api`, ...), in the app's database. */
  urlAs(login: Login, name: string): string {
    const { host, credentials } = this.settings;
    const port = this.node(name).postgresPort;
    return postgresUrl({ host, port, ...login, database: credentials.database });
  }

  /** Every node's URL as `login` (default: the API's role), leader or not: roles are the app's to find. */
  hosts(login: Login = this.settings.roles.api): { name: string; url: string }[] {
    return this.nodes.map((n) => ({ name: n.name, url: this.urlAs(login, n.name) }));
  }

  patroniUrl(name: string): string {
    return `http://${this.settings.host}:${this.node(name).patroniPort}`;
  }

  /** Patroni's REST API base URL of every node. */
  patroniUrls(): string[] {
    return this.nodes.map((n) => this.patroniUrl(n.name));
  }

  /** DATABASE_HOSTS and PATRONI_URLS for an app connecting as `login` (default: the API's role). */
  env(login: Login = this.settings.roles.api): HaEnv {
    return haEnv(this.hosts(login), this.patroniUrls());
  }
}
