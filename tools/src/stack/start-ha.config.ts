import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import { HaLauncherConfig } from '../ha/ha-launcher.config';

/**
 * `npm run start:ha`'s settings: the HA launcher's (the cluster), and where
 * the apps listen. API process i listens on API_PORT + i; the observer on
 * OBSERVER_PORT, by default the first port after the APIs' (its usual 5006
 * is the second API's here).
 */
export class StartHaConfig extends HaLauncherConfig {
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) API_PORT = 5005;
  /** How many API processes; the simulator spreads its requests over all of them. */
  @Type(() => Number) @IsInt() @Min(1) @Max(16) API_PROCESSES = 2;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(65535) OBSERVER_PORT?: number;
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
    return problems;
  }
}
