// Express (or any node:http middleware chain): one routing scope per request.
export { consistency, type ConsistencyMiddleware } from './consistency.middleware';
