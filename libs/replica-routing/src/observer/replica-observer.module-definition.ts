import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ReplicaObserverModuleOptions } from '../interfaces/replica-observer-options.interface';

export const {
  ConfigurableModuleClass: ObserverModuleClass,
  MODULE_OPTIONS_TOKEN: REPLICA_OBSERVER_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<ReplicaObserverModuleOptions>()
  .setClassMethodName('forRoot')
  .build();

/** Injection token of the observer's resolved options. */
export const RESOLVED_OBSERVER_OPTIONS = Symbol('REPLICA_OBSERVER_RESOLVED_OPTIONS');

/** Injection token of the node settings the observer's pools use. */
export const RESOLVED_OPTIONS = Symbol('REPLICA_OBSERVER_NODE_OPTIONS');
