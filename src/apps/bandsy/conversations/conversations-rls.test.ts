// Who may read and write conversations, participants and messages is held by the database
// (Bandsy's RLS policies and bandsy.can_post), not only by the service: these go straight at the
// tables through withUser, the way a request's transaction does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'kysely'
import { createTestEnv, type TestEnv } from '../../../../test/support/test-env'
import { aGroup, aMatch, aMusician, type Musician } from '../../../../test/support/bandsy'
import { claimsOf, removeFromGroup, setMatchStatus } from '../../../../test/support/bandsy-conversations'
import { withUser, type Tx } from '../../../platform'

describe('Bandsy conversations under row-level security', () => {
  let env: TestEnv
  beforeAll(async () => {
    env = await createTestEnv()
  })
  afterAll(() => env.close())

  const as = <T>(m: Musician, fn: (tx: Tx) => Promise<T>) => withUser(env.platform.db.kysely, claimsOf(m), fn)
  const insert = (m: Musician, conversationId: string, senderId = m.id) =>
    as(m, (tx) => tx.insertInto('bandsy.messages').values({ conversationId, senderId, type: 'text', content: 'direct' }).execute())
  const refused = { code: '42501' }

  it('refuses a message from a non-participant, a sender posing as someone else, and an ended match', async () => {
    const [a, b, outsider] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const { matchId, conversationId } = await aMatch(env.platform, a, b)
    await expect(insert(a, conversationId)).resolves.toBeDefined()
    await expect(insert(outsider, conversationId)).rejects.toMatchObject(refused)
    await expect(insert(a, conversationId, b.id)).rejects.toMatchObject(refused)
    await setMatchStatus(env.platform, matchId, 'unmatched')
    await expect(insert(a, conversationId)).rejects.toMatchObject(refused)
    await setMatchStatus(env.platform, matchId, 'blocked')
    await expect(insert(b, conversationId)).rejects.toMatchObject(refused)
  })

  it('refuses a removed group member, and takes messages from current members', async () => {
    const [admin, member, leaver] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const { groupId, conversationId } = await aGroup(env.platform, admin, [member, leaver])
    await expect(insert(leaver, conversationId)).resolves.toBeDefined()
    await removeFromGroup(env.platform, groupId, leaver)
    await expect(insert(leaver, conversationId)).rejects.toMatchObject(refused)
    await expect(insert(member, conversationId)).resolves.toBeDefined()
  })

  it("hides others' conversations, participants and messages", async () => {
    const [a, b, outsider] = [await aMusician(env.platform), await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aMatch(env.platform, a, b)
    await insert(a, conversationId)
    const seen = (m: Musician) =>
      as(m, async (tx) => ({
        conversations: (await tx.selectFrom('bandsy.conversations').select('id').where('id', '=', conversationId).execute()).length,
        participants: (
          await tx.selectFrom('bandsy.conversationParticipants').select('id').where('conversationId', '=', conversationId).execute()
        ).length,
        messages: (await tx.selectFrom('bandsy.messages').select('id').where('conversationId', '=', conversationId).execute()).length,
      }))
    expect(await seen(b)).toEqual({ conversations: 1, participants: 2, messages: 1 })
    expect(await seen(outsider)).toEqual({ conversations: 0, participants: 0, messages: 0 })
  })

  it("lets no one change another's read state, edit a message, or touch conversations", async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aMatch(env.platform, a, b)
    await insert(a, conversationId)
    const moveReadOf = (actor: Musician, of: Musician) =>
      as(actor, async (tx) => {
        const r = await tx
          .updateTable('bandsy.conversationParticipants')
          .set({ lastReadAt: new Date() })
          .where('conversationId', '=', conversationId)
          .where('userId', '=', of.id)
          .executeTakeFirst()
        return Number(r.numUpdatedRows)
      })
    expect(await moveReadOf(a, b)).toBe(0)
    expect(await moveReadOf(b, b)).toBe(1)
    // Only is_read is granted, and only to recipients.
    await expect(
      as(b, (tx) => tx.updateTable('bandsy.messages').set({ content: 'edited' }).where('conversationId', '=', conversationId).execute()),
    ).rejects.toMatchObject(refused)
    const markOwnRead = await as(a, (tx) =>
      tx.updateTable('bandsy.messages').set({ isRead: true }).where('conversationId', '=', conversationId).executeTakeFirst(),
    )
    expect(Number(markOwnRead.numUpdatedRows)).toBe(0)
    await expect(
      as(a, (tx) => sql`update bandsy.conversations set updated_at = now() + interval '1 year' where id = ${conversationId}`.execute(tx)),
    ).rejects.toMatchObject(refused)
    await expect(
      as(a, (tx) => tx.insertInto('bandsy.conversationParticipants').values({ conversationId, userId: a.id }).execute()),
    ).rejects.toMatchObject(refused)
  })

  it('keeps conversations.updated_at at the newest message, whoever inserts it', async () => {
    const [a, b] = [await aMusician(env.platform), await aMusician(env.platform)]
    const { conversationId } = await aMatch(env.platform, a, b)
    const at = new Date(Date.now() + 86_400_000)
    await env.platform.db.kysely
      .insertInto('bandsy.messages')
      .values({ conversationId, senderId: a.id, type: 'text', content: 'x', createdAt: at })
      .execute()
    const row = await env.platform.db.kysely
      .selectFrom('bandsy.conversations')
      .select('updatedAt')
      .where('id', '=', conversationId)
      .executeTakeFirstOrThrow()
    expect(row.updatedAt).toEqual(at)
  })
})
