// GET /v1/<app>/me/export: the caller's own data, for every app, from one implementation. The
// token says who the user is; the export itself reads on the owner role, since it spans tables
// (the platform's own among them) that no user policy opens, and it is audited.
import { z } from 'zod'
import type { AppContext } from '../../http/app-context'
import { AppError } from '../../http/errors'
import type { AppModule } from '../../app'
import { exportUser, GdprError } from './gdpr'

export function gdprRoutes(apps: AppModule[]) {
  return async ({ http, guard, platform, app }: AppContext) => {
    http.get(
      '/me/export',
      {
        preHandler: guard(['*']),
        schema: {
          tags: ['me'],
          summary: 'Everything stored about me (GDPR export)',
          description:
            'Every row that refers to the caller, found by foreign keys, user ids and their email, as JSON keyed by table (columns as in SQL), and their stored files as base64.',
          response: {
            200: z.object({
              user: z.object({ app: z.string(), table: z.string(), id: z.string() }),
              exportedAt: z.string(),
              tables: z.record(z.string(), z.array(z.record(z.string(), z.unknown()))),
              files: z.array(z.object({ key: z.string(), contentType: z.string(), size: z.number(), base64: z.string() })),
            }),
          },
        },
      },
      async (req, reply) => {
        try {
          const data = await exportUser(platform, apps, req.claims.sub, app)
          await platform.audit.record(platform.db.kysely, {
            app,
            actorId: req.claims.sub,
            actorRole: req.claims.role,
            action: 'gdpr.export',
            subjectType: data.user.table,
            subjectId: req.claims.sub,
            data: { tables: Object.keys(data.tables).length, files: data.files.length },
            requestId: req.id,
          })
          reply.header('content-disposition', `attachment; filename="${app}-export.json"`)
          return data
        } catch (err) {
          // A valid token whose user is gone (erased meanwhile).
          if (err instanceof GdprError) throw new AppError('not_found', err.message)
          throw err
        }
      },
    )
  }
}
