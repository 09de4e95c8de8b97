// Schemas most routes share.
import { z } from 'zod'
import { errorSchema } from './server'

/** `/:id` path parameter: a UUID (anything else is a 400 naming params.id). */
export const idParams = z.object({ id: z.uuid() })

/** The error responses of an authenticated route that reads or changes one record. */
export const commonErrors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema }
