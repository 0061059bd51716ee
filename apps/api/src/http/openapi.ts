import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { CONSISTENCY_TOKEN_HEADER, SERVED_BY_HEADER } from '@app/replica-routing';
import { DOCS_ROUTE } from './probe-paths';

/** The OpenAPI document, generated from the controllers' decorators and the DTOs. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Rocket Rides API')
    .setDescription(
      `Users and rides; reads go to Postgres replicas that have replayed the caller's ` +
        `\`${CONSISTENCY_TOKEN_HEADER}\`. Every response carries \`${SERVED_BY_HEADER}\` ` +
        `and, in an authenticated request or a write, \`${CONSISTENCY_TOKEN_HEADER}\`. See docs/api.md.`,
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'The api_key from POST /users' })
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** GET /docs (Swagger UI, served from swagger-ui-dist, no CDN) and GET /docs/json. */
export function installOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_ROUTE, app, () => openApiDocument(app), {
    jsonDocumentUrl: `${DOCS_ROUTE}/json`,
    yamlDocumentUrl: `${DOCS_ROUTE}/yaml`,
  });
}
