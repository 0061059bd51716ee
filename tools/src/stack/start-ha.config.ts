import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { HaLauncherConfig } from '../ha/ha-launcher.config';

/**
 * `npm run start:ha`'s settings: the HA launcher's (the cluster), and where
 * the apps listen. API process i listens on API_PORT + i; the observer on
 * OBSERVER_PORT, by default the first port after the APIs' (its usual 5006
 * is the second API's here); the API's proxy (HAProxy) on PROXY_PORT.
 */
export class StartHaConfig extends HaLauncherConfig {
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) API_PORT = 5005;
  /** How many API processes; the simulator spreads its requests over all of them. */
  @Type(() => Number) @IsInt() @Min(1) @Max(16) API_PROCESSES = 2;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(65535) OBSERVER_PORT?: number;
  /** Where clients connect: HAProxy in front of the API processes (docker/haproxy-api.cfg). */
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) PROXY_PORT = 5080;
  /** How long a request may wait in the proxy's queue before its 503 + Retry-After. */
  @Type(() => Number) @IsInt() @Min(1) @Max(60_000) PROXY_QUEUE_MS = 2000;
  /**
   * Each API process's own limit (apps/api/src/config/api.config.ts, same
   * default), and what the proxy gives it at once (its maxconn).
   */
  @Type(() => Number) @IsInt() @Min(0) API_MAX_IN_FLIGHT = 64;
  /** Signs Consistency-Tokens; every API process needs the same one to honour the others'. */
  @IsOptional() @IsString() @MinLength(16) TOKEN_SECRET?: string;

  apiPorts(): number[] {
    return Array.from({ length: this.API_PROCESSES }, (_, i) => this.API_PORT + i);
  }

  observerPort(): number {
    return this.OBSERVER_PORT ?? this.API_PORT + this.API_PROCESSES;
  }

  /**
   * Settings that contradict each other, each saying which variable to change
   * (`validateConfig` reports them). Not DatabaseConfig's: start:ha sets
   * DATABASE_HOSTS and PATRONI_URLS itself, whatever the environment says.
   */
  override conflicts(): string[] {
    const problems: string[] = [];
    if (this.API_PROCESSES > 1 && !this.TOKEN_SECRET)
      problems.push(
        `TOKEN_SECRET is unset: each of the ${this.API_PROCESSES} API processes would sign tokens with a ` +
          "secret of its own and reject the others'; set one (.env has a development value)",
      );
    if (this.apiPorts().includes(this.observerPort()))
      problems.push(
        `OBSERVER_PORT=${this.observerPort()} is one of the API ports (${this.apiPorts().join(', ')}): ` +
          'move OBSERVER_PORT, API_PORT or API_PROCESSES',
      );
    if ([...this.apiPorts(), this.observerPort()].includes(this.PROXY_PORT))
      problems.push(
        `PROXY_PORT=${this.PROXY_PORT} is taken by an API process or the observer ` +
          `(${[...this.apiPorts(), this.observerPort()].join(', ')}): move PROXY_PORT`,
      );
    return problems;
  }
}
