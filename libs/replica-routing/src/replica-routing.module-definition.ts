import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ReplicaRoutingModuleOptions } from './interfaces/replica-routing-options.interface';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: REPLICA_ROUTING_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ReplicaRoutingModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
