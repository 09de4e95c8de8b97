// OneDesigner's retention policies (shared/seeds/001, "Data Retention and Archiving"): matches a
// client never unlocked are archived after 3 months, expired ones after 30 days; briefs nobody
// touched for 6 months (the seed's unused searches) once their matches are gone; payment records
// are kept 7 years. Clients and designers have no soft delete: erasure is `matchbase gdpr erase`.
import type { RetentionPolicy } from '../../platform'

export const retention: RetentionPolicy[] = [
  {
    name: 'expired-matches',
    description: 'archive matches that expired without an unlock, 30 days after they expired',
    table: 'matches',
    ageColumn: 'updated_at',
    age: '30 days',
    condition: `status = 'expired' and unlocked_at is null`,
    action: 'archive',
  },
  {
    name: 'never-unlocked-matches',
    description: 'archive matches never unlocked, 3 months after they were made',
    table: 'matches',
    ageColumn: 'created_at',
    age: '3 months',
    condition: `unlocked_at is null and status <> 'unlocked'`,
    action: 'archive',
  },
  {
    name: 'unused-briefs',
    description: 'archive briefs unchanged for 6 months that no match or request refers to any more',
    table: 'briefs',
    ageColumn: 'updated_at',
    age: '6 months',
    action: 'archive',
    // The brief's embedding is computed from its text again when it is restored.
    dropsWith: ['brief_embeddings'],
  },
  {
    name: 'payment-records',
    description: 'delete credit purchases after the 7 years they must be kept',
    table: 'credit_purchases',
    ageColumn: 'created_at',
    age: '7 years',
    action: 'delete',
    keepOnErasure: true,
  },
]
