import { PROXY_BUSY_ERROR } from '../proxy/haproxy.command';

/** What a retry-storm client made of one answer. */
export type StormAnswer =
  { kind: 'created' } | { kind: 'refused'; by: 'proxy' | 'api' } | { kind: 'bad'; reason: string };

/**
 * A 201; or load shed the way a client can act on: 503 (429) with
 * Retry-After and the API's JSON error shape, from the proxy's queue or the
 * API's own gate; anything else is bad. Every answer must echo the request's
 * X-Request-Id (`sentId`, when given): the proxy and the API echo it.
 */
export function classifyAnswer(
  status: number,
  headers: Record<string, string | string[]>,
  body: string,
  sentId: string | undefined,
): StormAnswer {
  const header = (name: string) => {
    const found = Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
    return Array.isArray(found) ? found[0] : found;
  };
  const echoed = header('x-request-id');
  if (sentId !== undefined && echoed !== sentId)
    return { kind: 'bad', reason: `${status} without its X-Request-Id (${echoed ?? 'none'})` };
  if (status === 201) return { kind: 'created' };
  if (status !== 503 && status !== 429) return { kind: 'bad', reason: `${status}` };
  if (!header('retry-after')) return { kind: 'bad', reason: `${status} without Retry-After` };
  const error = errorOf(body);
  if (error === undefined) return { kind: 'bad', reason: `${status} not in the API's JSON shape` };
  return { kind: 'refused', by: error === PROXY_BUSY_ERROR ? 'proxy' : 'api' };
}

/** The `error` of a body `{"error": "..."}` and nothing else; undefined otherwise. */
function errorOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    const keys = Object.keys(parsed);
    const error = (parsed as { error?: unknown }).error;
    return keys.length === 1 && typeof error === 'string' ? error : undefined;
  } catch {
    return undefined;
  }
}
