// Bandsy: musicians discover each other by instrument, genre, skill and distance; mutual likes
// make matches and conversations; groups, events, subscriptions. Seed: shared/seeds/002_7ba1d4d081316c00.txt.
import { fileURLToPath } from 'node:url'
import { defineApp } from '../../platform'
import { accountRoutes } from './accounts/routes'
import { profileRoutes } from './profiles/routes'
import { interactionRoutes } from './interactions/routes'
import { matchRoutes } from './matches/routes'
import { subscriptionRoutes } from './subscriptions/routes'
import { groupRoutes } from './groups/routes'
import { eventRoutes } from './events/routes'
import { discoveryRoutes } from './discovery/routes'
import { conversationRoutes } from './conversations/routes'
import { mediaSampleRoutes } from './media/routes'
import { jobs } from './jobs'
import { retention } from './retention'
import { seed, isSeeded } from './seed'
import { APP } from './app-name'

export const bandsy = defineApp({
  name: APP,
  migrationsDir: fileURLToPath(new URL('./migrations', import.meta.url)),
  async routes(ctx) {
    for (const register of [
      accountRoutes, // email OTP and external identity provider sign-in; sessions
      profileRoutes, // own profile, instruments, genres, match profile; public profiles; catalog
      interactionRoutes, // like, pass, super like, block; who liked you
      matchRoutes, // matches: list, read, unmatch
      subscriptionRoutes, // plans, buying and cancelling a subscription, payment webhook
      groupRoutes, // groups: founding, members and roles, genres, invitations
      eventRoutes, // group events; public upcoming events by date and distance
      discoveryRoutes, // discovery feed: ranked candidates within radius and age range, cursor pages
      conversationRoutes, // conversations, messages (text and media files), read state, unread counts, realtime stream
      mediaSampleRoutes, // audio/video samples: multipart upload, files in platform.storage, genre tags
    ])
      await register(ctx)
  },
  jobs,
  retention,
  seed,
  isSeeded,
})
