import { SetMetadata } from '@nestjs/common';

export const USE_PRIMARY_KEY = 'replica-routing:use-primary';

/**
 * Sends every read of a handler (or of a whole controller) to the primary: for
 * a GET that writes, or one that must see other users' latest writes.
 */
export const UsePrimary = (): MethodDecorator & ClassDecorator =>
  SetMetadata(USE_PRIMARY_KEY, true);
