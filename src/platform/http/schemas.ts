// Schemas most routes share. The auth errors of guarded routes are documented by the guard
// (app-context.ts), so routes list only their own outcomes.
import { z } from 'zod'

/** `/:id` path parameter: a UUID (anything else is a 400 naming params.id). */
export const idParams = z.object({ id: z.uuid() })
