// node-postgres sends JS arrays as Postgres arrays, so values bound for jsonb columns must be
// JSON text; undefined means "leave the column alone" and is dropped.
// The result keeps the input's type: a jsonb column's generated type (Json) admits the JSON text.
export function toDbRow<T extends object>(values: T, jsonColumns: ReadonlySet<string>): T {
  const row: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue
    row[k] = jsonColumns.has(k) ? JSON.stringify(v) : v
  }
  return row as T
}
