import { SetMetadata } from '@nestjs/common';

export const SIGNUP_LIMITED = 'rateLimit:signup';

/**
 * A route that creates an account: limited per client address
 * (RATE_LIMIT_SIGNUP_PER_MIN) rather than per rider. Marked on the handler,
 * so that every spelling of its path (`/users/`, `/USERS`) is limited alike.
 */
export const SignupLimited = (): MethodDecorator => SetMetadata(SIGNUP_LIMITED, true);
