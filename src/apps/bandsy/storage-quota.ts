// What a musician stores, for the platform's per-user storage quota (STORAGE_QUOTA_BYTES_PER_USER):
// media samples and files sent in messages, by the sizes their rows keep.
import { sql } from 'kysely'
import { type Executor, type Platform, assertStorageQuota } from '../../platform'

export async function storedBytes(db: Executor, userId: string): Promise<number> {
  const { rows } = await sql<{ bytes: string | number }>`
    select coalesce((select sum((metadata ->> 'size')::bigint) from bandsy.media_samples where user_id = ${userId}), 0)
         + coalesce((select sum((metadata ->> 'size')::bigint) from bandsy.messages
                     where sender_id = ${userId} and file_url is not null), 0) as bytes`.execute(db)
  return Number(rows[0]?.bytes ?? 0)
}

/** 413 quota_exceeded when a file of this size would take the user over the quota. */
export async function assertRoomFor(platform: Platform, db: Executor, userId: string, bytes: number) {
  if (platform.config.STORAGE_QUOTA_BYTES_PER_USER === 0) return
  assertStorageQuota(platform, await storedBytes(db, userId), bytes)
}
