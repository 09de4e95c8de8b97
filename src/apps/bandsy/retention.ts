// Bandsy's retention policies (shared/seeds/001, "Data Retention and Archiving"): a deleted
// musician is anonymized after 30 days and removed after 90 (their rows go with them by ON DELETE
// CASCADE), unless payment records, kept 7 years, still need the row; discovery feed snapshots
// that went stale are dropped.
import type { RetentionPolicy } from '../../platform'

export const retention: RetentionPolicy[] = [
  {
    name: 'deleted-users-anonymize',
    description: 'anonymize musicians 30 days after they deleted their account',
    table: 'users',
    ageColumn: 'deleted_at',
    age: '30 days',
    condition: `username not like 'deleted-%'`,
    action: 'anonymize',
    set: {
      username: `'deleted-' || replace(id::text, '-', '')`,
      clerk_id: `'deleted:' || id::text`,
      email: 'null',
      display_name: `'Deleted musician'`,
      bio: 'null',
      age: 'null',
      city: 'null',
      region: 'null',
      country: 'null',
      latitude: 'null',
      longitude: 'null',
      profile_image_url: 'null',
      is_active: 'false',
    },
  },
  {
    name: 'deleted-users-remove',
    description: 'remove musicians 90 days after they deleted their account, unless payment records still need them',
    table: 'users',
    ageColumn: 'deleted_at',
    age: '90 days',
    condition: 'not exists (select 1 from bandsy.subscription_purchases p where p.user_id = users.id)',
    action: 'delete',
  },
  {
    name: 'payment-records',
    description: 'delete subscription purchases after the 7 years they must be kept',
    table: 'subscription_purchases',
    ageColumn: 'created_at',
    age: '7 years',
    action: 'delete',
    keepOnErasure: true,
  },
  {
    name: 'stale-discovery-feeds',
    description: 'delete discovery feed snapshots a day past their expiry (a safety net for bandsy-expire-discovery-feeds)',
    table: 'discovery_feeds',
    ageColumn: 'expires_at',
    age: '1 day',
    action: 'delete',
  },
]
