export interface AuthenticatedUser {
  id: number;
  email: string;
  /** The API key this request authenticated with (`api_keys.id`). */
  keyId: number;
}

export interface AuthenticatedRequest {
  user?: AuthenticatedUser;
}
