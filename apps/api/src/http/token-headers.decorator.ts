import { applyDecorators, type Type } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import {
  CONSISTENCY_TOKEN_HEADER,
  CONSISTENCY_TOKEN_PATTERN,
  SERVED_BY_HEADER,
} from '@app/replica-routing';

const RESPONSE_HEADERS = {
  [CONSISTENCY_TOKEN_HEADER]: {
    description:
      'A WAL position covering what the request wrote or saw (send it back on the next request)',
    schema: { type: 'string', pattern: CONSISTENCY_TOKEN_PATTERN, example: '1:0/3000148' },
  },
  [SERVED_BY_HEADER]: {
    description: '`primary` or the replica that ran the last statement',
    schema: { type: 'string', example: 'replica3' },
  },
};

/**
 * The consistency-token headers of a route, and its answers: `responses` maps
 * each status to its description and body type.
 */
export function TokenRoute(
  responses: Record<
    number,
    { description: string; type?: Type<unknown>; headers?: Record<string, { schema: object }> }
  >,
): MethodDecorator {
  return applyDecorators(
    ApiHeader({
      name: CONSISTENCY_TOKEN_HEADER,
      required: false,
      description:
        'The newest token the client holds (`<timeline>:X/Y`, with `.<signature>` when the API signs tokens; the older `X/Y` still parses): reads see at least that position (`400` if malformed, forged or ahead of the primary)',
      schema: { type: 'string', pattern: CONSISTENCY_TOKEN_PATTERN, example: '1:0/3000148' },
    }),
    ...Object.entries(responses).map(([status, { description, type, headers }]) =>
      ApiResponse({
        status: Number(status),
        description,
        headers: { ...RESPONSE_HEADERS, ...headers },
        ...(type ? { type } : {}),
      }),
    ),
  );
}
