// Fastify: one routing scope per request, as a plugin.
export { consistencyPlugin, type ConsistencyPlugin } from './consistency.plugin';
