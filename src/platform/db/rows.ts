// node-postgres sends JS arrays as Postgres arrays, so values bound for jsonb columns must be
// JSON text; undefined means "leave the column alone" and is dropped.
export function toDbRow(values: Record<string, unknown>, jsonColumns: ReadonlySet<string>): Record<string, unknown> {
  const row: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue
    row[k] = jsonColumns.has(k) ? JSON.stringify(v) : v
  }
  return row
}
