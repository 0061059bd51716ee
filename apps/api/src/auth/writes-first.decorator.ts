import { SetMetadata } from '@nestjs/common';

export const WRITES_FIRST = 'auth:writesFirst';

/**
 * On a route whose first query after authentication is its write (one
 * `router.write()`, no read before it): a request without a token then takes
 * no position when it authenticates, and its token is its write's. Anything a
 * read before the write would need that position for: see
 * UsersService.authenticate.
 */
export const WritesFirst = (): MethodDecorator => SetMetadata(WRITES_FIRST, true);
