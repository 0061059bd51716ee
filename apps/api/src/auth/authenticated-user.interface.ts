export interface AuthenticatedUser {
  id: number;
  email: string;
}

export interface AuthenticatedRequest {
  user?: AuthenticatedUser;
}
