import { SetMetadata } from '@nestjs/common';

export const ROTATION_RETRY = 'rotationRetry';

/**
 * On the route that rotates a key: a request whose key a rotation with the
 * same Idempotency-Key revoked authenticates with it (that rotation's retry,
 * its response lost); see UsersService.authenticateRotationRetry.
 */
export const AcceptsRotationRetry = (): MethodDecorator => SetMetadata(ROTATION_RETRY, true);
