// Nest glue: the module (with its middleware and interceptor mounted), the decorator, the observer.
export { ReplicaRoutingModule } from './replica-routing.module';
export type { ReplicaRoutingModuleOptions } from './replica-routing.module-definition';
export { ConsistencyMiddleware } from './consistency.middleware';
export { ConsistencyInterceptor } from './consistency.interceptor';
export { UsePrimary } from './use-primary.decorator';
export { ReplicaObserverModule } from './replica-observer.module';
