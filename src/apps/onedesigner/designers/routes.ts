import { z } from 'zod'
import type { Http } from '../../../platform/app'
import type { Platform } from '../../../platform/platform'
import { bearer, requireRole } from '../../../platform/http/auth-guard'
import { designerService } from './service'
import { ownProfileSchema, profilePatchSchema, profilePutSchema, publicProfileSchema, statsSchema } from './profile-schema'
import { commonErrors, idParams } from '../../../platform/http/schemas'

const APP = 'onedesigner'
const tags = ['onedesigner: designers']

export async function designerRoutes(http: Http, platform: Platform) {
  const service = designerService(platform)
  const designerOnly = requireRole(platform, APP, ['designer'])

  http.get(
    '/designers/me',
    {
      preHandler: designerOnly,
      schema: { tags, summary: 'Your designer profile and its approval state', security: bearer, response: { 200: ownProfileSchema, ...commonErrors } },
    },
    async (req) => service.getOwn(req.claims),
  )

  http.patch(
    '/designers/me',
    {
      preHandler: designerOnly,
      schema: {
        tags,
        summary: 'Change some fields of your profile',
        description:
          'Editing an approved profile flags it for re-review (edited_after_approval); the designer stays visible meanwhile.',
        security: bearer,
        body: profilePatchSchema,
        response: { 200: ownProfileSchema, ...commonErrors },
      },
    },
    async (req) => service.patchOwn(req.claims, req.body),
  )

  http.put(
    '/designers/me',
    {
      preHandler: designerOnly,
      schema: {
        tags,
        summary: 'Replace your whole profile',
        description: 'Optional fields left out are cleared. Editing an approved profile flags it for re-review.',
        security: bearer,
        body: profilePutSchema,
        response: { 200: ownProfileSchema, ...commonErrors },
      },
    },
    async (req) => service.replaceOwn(req.claims, req.body),
  )

  http.get(
    '/designers/me/stats',
    {
      preHandler: designerOnly,
      schema: { tags, summary: 'Your matches and requests over the last 30 days', security: bearer, response: { 200: statsSchema, ...commonErrors } },
    },
    async (req) => service.stats(req.claims),
  )

  http.get(
    '/designers/:id',
    {
      preHandler: requireRole(platform, APP, ['client', 'admin']),
      schema: {
        tags,
        summary: "An approved designer's public profile",
        description: 'Unapproved designers do not exist for clients (404). Contact details come with an unlock.',
        security: bearer,
        params: idParams,
        response: { 200: publicProfileSchema, ...commonErrors },
      },
    },
    async (req) => service.getPublic(req.claims, req.params.id),
  )
}
