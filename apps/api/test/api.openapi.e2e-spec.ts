import request from 'supertest';
import { createRider, startApi, startObserver, type RunningApi, type Rider } from './api.harness';

interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
}
interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema: Schema }>; headers?: Record<string, unknown> }
  >;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Every value that `schema` describes matches it: types, required properties, nullability. */
function mismatches(doc: Document, schema: Schema, value: unknown, at = 'body'): string[] {
  if (schema.$ref)
    return mismatches(doc, doc.components.schemas[schema.$ref.split('/').pop()!]!, value, at);
  if (schema.allOf) return schema.allOf.flatMap((s) => mismatches(doc, s, value, at));
  if (value === null) return schema.nullable ? [] : [`${at} is null`];
  const actual = Array.isArray(value) ? 'array' : typeof value;
  const expected = schema.type === 'integer' ? 'number' : schema.type;
  if (expected && expected !== actual) return [`${at} is ${actual}, documented ${schema.type}`];
  if (schema.type === 'integer' && !Number.isInteger(value)) return [`${at} is not an integer`];
  if (Array.isArray(value) && schema.items) {
    return value.flatMap((v, i) => mismatches(doc, schema.items!, v, `${at}[${i}]`));
  }
  if (actual !== 'object') return [];
  const object = value as Record<string, unknown>;
  const missing = (schema.required ?? [])
    .filter((k) => !(k in object))
    .map((k) => `${at}.${k} missing`);
  const wrong = Object.entries(schema.properties ?? {}).flatMap(([k, s]) =>
    k in object ? mismatches(doc, s, object[k], `${at}.${k}`) : [],
  );
  return [...missing, ...wrong];
}

/**
 * The OpenAPI document at /docs/json against the running API: every documented
 * route answers a canonical request with a documented status, content type,
 * body shape and token headers; every route that documents 401 answers it.
 */
describe('OpenAPI document', () => {
  let api: RunningApi;
  let observer: { close(): Promise<void> };
  let rider: Rider;
  /** Riders whose key the key routes rotate or revoke (so `rider`'s keeps working). */
  let rotating: Rider;
  let revoking: Rider;
  let doc: Document;
  let rideId: number;

  beforeAll(async () => {
    api = await startApi();
    observer = await startObserver();
    rider = await createRider(api.url);
    rotating = await createRider(api.url);
    revoking = await createRider(api.url);
    const ride = await request(api.url)
      .post('/rides')
      .set(rider.auth)
      .send({ distance: 3 })
      .expect(201);
    rideId = ride.body.id as number;
    doc = (await request(api.url).get('/docs/json').expect(200)).body as Document;
  });

  afterAll(async () => {
    await observer.close();
    await api.close();
  });

  /** One request per documented route (a route missing here fails the test: add it). */
  const canonical: Record<string, () => request.Test> = {
    'get /health': () => request(api.url).get('/health'),
    'get /health/live': () => request(api.url).get('/health/live'),
    'get /health/ready': () => request(api.url).get('/health/ready'),
    'get /metrics': () => request(api.url).get('/metrics'),
    'get /dashboard': () => request(api.url).get('/dashboard'),
    'get /dashboard/state': () => request(api.url).get('/dashboard/state'),
    'get /dashboard/uplot.js': () => request(api.url).get('/dashboard/uplot.js'),
    'get /dashboard/uplot.css': () => request(api.url).get('/dashboard/uplot.css'),
    'post /users': () =>
      request(api.url)
        .post('/users')
        .send({ email: `openapi-${Date.now()}-${Math.random()}@example.com` }),
    'post /rides': () => request(api.url).post('/rides').set(rider.auth).send({ distance: 12.5 }),
    'get /rides': () => request(api.url).get('/rides').set(rider.auth),
    'get /rides/{id}': () => request(api.url).get(`/rides/${rideId}`).set(rider.auth),
    'get /replicas': () => request(api.url).get('/replicas').set(rider.auth),
    'post /users/me/api-keys': () => request(api.url).post('/users/me/api-keys').set(rotating.auth),
    'delete /users/me/api-keys/current': () =>
      request(api.url).delete('/users/me/api-keys/current').set(revoking.auth),
  };

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({
        key: `${method} ${path}`,
        path,
        method,
        op,
      })),
    );

  it('documents every route of the API, with its statuses', () => {
    expect(
      operations()
        .map((o) => o.key)
        .sort(),
    ).toEqual(Object.keys(canonical).sort());
    for (const { key, op } of operations()) {
      expect([key, Object.keys(op.responses).length > 0]).toEqual([key, true]);
    }
  });

  it('each route answers a documented status, content type, body and token headers', async () => {
    const problems: string[] = [];
    for (const { key, op } of operations()) {
      const response = await canonical[key]!();
      const documented = op.responses[String(response.status)];
      if (!documented) {
        problems.push(
          `${key}: ${response.status} is not documented (${Object.keys(op.responses).join(', ')})`,
        );
        continue;
      }
      const [type, media] = Object.entries(documented.content ?? {})[0] ?? [];
      const contentType = String(response.headers['content-type'] ?? '');
      if (type && !contentType.startsWith(type)) {
        problems.push(`${key}: content-type ${contentType}, documented ${type}`);
      }
      if (type === 'application/json' && media) {
        problems.push(...mismatches(doc, media.schema, response.body).map((m) => `${key}: ${m}`));
      }
      for (const header of Object.keys(documented.headers ?? {})) {
        if (
          /^(consistency-token|served-by)$/i.test(header) &&
          !response.headers[header.toLowerCase()]
        ) {
          problems.push(`${key}: documented header ${header} missing`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('each route that documents 401 answers it without a key, in the error shape', async () => {
    const guarded = operations().filter((o) => o.op.responses['401']);
    expect(guarded.length).toBeGreaterThan(0);
    for (const { key, path, method } of guarded) {
      const url = path.replace('{id}', String(rideId));
      const response = await request(api.url)
        [method as 'get' | 'post' | 'delete'](url)
        .send({ distance: 1 });
      expect([key, response.status]).toEqual([key, 401]);
      expect(mismatches(doc, { $ref: '#/components/schemas/ErrorBody' }, response.body)).toEqual(
        [],
      );
    }
  });

  it('serves Swagger UI at /docs from this server', async () => {
    const page = await request(api.url).get('/docs').expect(200);
    expect(page.text).toContain('swagger-ui');
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
  });
});
