// The group triggers of migration 0001 raise check_violation with a named constraint. The generic
// mapping (fromPostgresError) would call that a 422 "values break a rule"; for a user these are
// conflicts with the group's current state, so they become 409s that say what to do.
import { type AppError, conflict } from '../../../platform'

interface PgError {
  code?: string
  constraint?: string
}

export const KEEP_ONE_ADMIN = 'a group must keep at least one admin'

export function groupConflict(err: unknown, group?: { maxMembers: number }): AppError | undefined {
  const e = err as PgError
  if (e?.code !== '23514') return undefined
  if (e.constraint === 'groups_keep_one_admin')
    return conflict(`${KEEP_ONE_ADMIN}: make another member admin first`, { constraint: 'groups_keep_one_admin' })
  if (e.constraint === 'groups_max_members')
    return conflict(`The group is full: it has reached max_members${group ? ` (${group.maxMembers})` : ''}`, {
      constraint: 'groups_max_members',
      maxMembers: group?.maxMembers,
    })
  return undefined
}

/** Runs fn and turns the group triggers' refusals into clear conflicts. */
export async function mappingGroupConflicts<T>(fn: () => Promise<T>, group?: { maxMembers: number }): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw groupConflict(err, group) ?? err
  }
}
