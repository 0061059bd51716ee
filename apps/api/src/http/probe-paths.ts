/**
 * Probes and scrapes: answered whatever the load (admission lets them
 * through) and reading no rides (no routing scope, no Consistency-Token).
 */
export const PROBE_ROUTES = ['health', 'metrics'] as const;

/** Whether an Express path is one of {@link PROBE_ROUTES} or below it. */
export function isProbePath(path: string): boolean {
  return PROBE_ROUTES.some((r) => path === `/${r}` || path.startsWith(`/${r}/`));
}

/** {@link PROBE_ROUTES} as Nest middleware route patterns: each route and everything below it. */
export function probeRoutePatterns(): string[] {
  return PROBE_ROUTES.flatMap((r) => [r, `${r}/*path`]);
}

/**
 * The API's documentation (Swagger UI and its static files, the OpenAPI
 * document): no query behind it, so a download its client abandons leaves
 * nothing working (see installLoadShedding).
 */
export const DOCS_ROUTE = 'docs';

/** Whether an Express path is {@link DOCS_ROUTE} or below it. */
export function isDocsPath(path: string): boolean {
  return path === `/${DOCS_ROUTE}` || path.startsWith(`/${DOCS_ROUTE}/`);
}
