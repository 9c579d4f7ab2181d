import { createAuthClient } from 'better-auth/react';

/** Better Auth lives on the same origin at /api/auth; the session is an httpOnly cookie. */
export const authClient = createAuthClient({ baseURL: window.location.origin, basePath: '/api/auth' });
