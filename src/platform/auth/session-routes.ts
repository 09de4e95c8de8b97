// POST /auth/refresh and /auth/logout, the same for every app: only the session's shape differs.
import { z, type ZodType } from 'zod'
import type { Http } from '../app'
import { errorSchema } from '../http/server'

const refreshToken = z.string().min(16).max(256).describe('Refresh token from sign-in or the last refresh')

export interface SessionRouteOptions<S> {
  tags: string[]
  /** The app's session answer (access token, refresh token, user). */
  sessionSchema: ZodType<S>
  refresh(refreshToken: string): Promise<S>
  logout(refreshToken: string): Promise<unknown>
}

export function sessionRoutes<S>(http: Http, o: SessionRouteOptions<S>) {
  http.post(
    '/auth/refresh',
    {
      schema: {
        tags: o.tags,
        summary: 'Rotate a refresh token for a new session',
        description: 'The presented token stops working. Presenting a used token again ends the whole session.',
        body: z.object({ refreshToken }),
        response: { 200: o.sessionSchema, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => o.refresh(req.body.refreshToken),
  )

  http.post(
    '/auth/logout',
    {
      schema: {
        tags: o.tags,
        summary: 'End a session',
        body: z.object({ refreshToken }),
        response: { 200: z.object({ status: z.literal('signed_out') }), 400: errorSchema },
      },
    },
    async (req) => {
      await o.logout(req.body.refreshToken)
      return { status: 'signed_out' as const }
    },
  )
}
