import { z } from 'zod'
import { type AppContext, errorSchema, idParams } from '../../../platform'
import { designerService } from './service'
import { ownProfileSchema, profilePatchSchema, profilePutSchema, statsSchema } from './profile-schema'
import { designerViewSchema } from './visibility'

const tags = ['designers']

export async function designerRoutes({ http, platform, guard }: AppContext) {
  const service = designerService(platform)
  const designerOnly = guard(['designer'])

  http.get(
    '/designers/me',
    {
      preHandler: designerOnly,
      schema: { tags, summary: 'Your designer profile and its approval state', response: { 200: ownProfileSchema, 404: errorSchema } },
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
        description: 'Editing an approved profile flags it for re-review (edited_after_approval); the designer stays visible meanwhile.',
        body: profilePatchSchema,
        response: { 200: ownProfileSchema, 404: errorSchema },
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
        body: profilePutSchema,
        response: { 200: ownProfileSchema, 404: errorSchema },
      },
    },
    async (req) => service.replaceOwn(req.claims, req.body),
  )

  http.get(
    '/designers/me/stats',
    {
      preHandler: designerOnly,
      schema: { tags, summary: 'Your matches and requests over the last 30 days', response: { 200: statsSchema, 404: errorSchema } },
    },
    async (req) => service.stats(req.claims),
  )

  http.get(
    '/designers/:id',
    {
      preHandler: guard(['client', 'admin']),
      schema: {
        tags,
        summary: 'An approved designer, as you may see them',
        description:
          'Unapproved designers do not exist for clients (404). Last name, email, location, portfolio links, images and case ' +
          'studies come with an unlock (null before); the same rule as in matches and unlocks.',
        params: idParams,
        response: { 200: designerViewSchema, 404: errorSchema },
      },
    },
    async (req) => service.getPublic(req.claims, req.params.id),
  )
}
