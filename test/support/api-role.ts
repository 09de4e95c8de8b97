// The least-privilege login roles for tests on a server: made by the same `roles setup` code the
// CLI runs (cluster-wide roles, so every test file's database can use them; setup is idempotent
// and retries when files race on it).
import type { Db } from '../../src/platform/db/database'
import { setupRoles } from '../../src/platform/ops/roles/setup'

export const API_TEST_ROLE = 'matchbase_api_test'
export const REPORTING_TEST_ROLE = 'matchbase_reader_test'
const API_TEST_PASSWORD = 'api-test-password-not-secret'
const REPORTING_TEST_PASSWORD = 'reporting-test-password-not-secret'

/** Creates (or updates) the test's API and reporting roles in this database, run as the owner. */
export async function setupTestRoles(ownerDb: Db) {
  return setupRoles(ownerDb, {
    apiRole: API_TEST_ROLE,
    apiPassword: API_TEST_PASSWORD,
    reportingRole: REPORTING_TEST_ROLE,
    reportingPassword: REPORTING_TEST_PASSWORD,
  })
}

/** The URL with the API (or reporting) test role as its user. */
export function asTestRole(url: string, role: 'api' | 'reporting'): string {
  const u = new URL(url)
  u.username = role === 'api' ? API_TEST_ROLE : REPORTING_TEST_ROLE
  u.password = role === 'api' ? API_TEST_PASSWORD : REPORTING_TEST_PASSWORD
  return u.toString()
}
