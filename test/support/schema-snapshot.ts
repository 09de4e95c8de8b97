// A text description of the schemas Matchbase owns, for checking that up, down, up again
// leaves exactly the schema that the first up made.
import { sql } from 'kysely'
import type { Db } from '../../src/platform/db/database'

const SCHEMAS_SQL = `select nspname from pg_namespace where nspname not like 'pg\\_%' and nspname not in ('information_schema', 'public', 'pgboss')`

export async function schemaSnapshot(db: Db): Promise<string[]> {
  const queries = [
    sql`select 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' ' || coalesce(column_default, '') || ' ' || is_nullable as line
        from information_schema.columns where table_schema in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'index ' || schemaname || '.' || indexname || ' ' || indexdef as line from pg_indexes where schemaname in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'constraint ' || n.nspname || '.' || c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) as line
        from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'policy ' || schemaname || '.' || tablename || ' ' || policyname || ' ' || cmd || ' ' || array_to_string(roles, ',') || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '') as line
        from pg_policies where schemaname in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'trigger ' || n.nspname || '.' || c.relname || ' ' || t.tgname || ' ' || pg_get_triggerdef(t.oid) as line
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where not t.tgisinternal and n.nspname in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(p.prosrc) as line
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'rls ' || n.nspname || '.' || c.relname || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity as line
        from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'm') and n.nspname in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'view ' || schemaname || '.' || matviewname || ' ' || md5(definition) as line from pg_matviews where schemaname in (${sql.raw(SCHEMAS_SQL)})`,
    sql`select 'grant ' || table_schema || '.' || table_name || ' ' || grantee || ' ' || privilege_type as line
        from information_schema.role_table_grants where grantee = 'matchbase_user'`,
  ]
  const lines: string[] = []
  for (const q of queries) {
    const { rows } = await q.execute(db)
    lines.push(...(rows as { line: string }[]).map((r) => r.line))
  }
  return lines.sort()
}
