import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ReplicaObserverModuleOptions } from '../interfaces/replica-observer-options.interface';

export const {
  ConfigurableModuleClass: ObserverModuleClass,
  MODULE_OPTIONS_TOKEN: REPLICA_OBSERVER_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<ReplicaObserverModuleOptions>()
  .setClassMethodName('forRoot')
  .build();
