// Turns a parameterised statement into one with its values written in as quoted literals, so it
// can travel in a simple-protocol message together with other statements (pg-driver.ts).
//
// Why this is the same statement: node-postgres sends every parameter as text with type "unknown"
// (0), and Postgres types an unknown parameter from its context exactly as it types a quoted
// literal ('...' is also of type unknown). So each value is converted to text as node-postgres
// would convert it (its own prepareValue) and quoted with its own escapeLiteral. What cannot be
// written that way safely is refused (undefined), and the caller sends the statement as it is:
// a text value holding NUL (a simple-protocol message is a C string), and SQL this scanner does
// not follow (E'' strings, unusual dollar quotes).
import pg from 'pg'
import pgUtils from 'pg/lib/utils.js'

const { prepareValue } = pgUtils

function literal(value: unknown): string | undefined {
  const text = prepareValue(value)
  if (text === null) return 'NULL'
  if (Buffer.isBuffer(text)) return `'\\x${text.toString('hex')}'`
  if (text.includes('\0')) return undefined
  return pg.escapeLiteral(text)
}

/** The statement with $1..$n replaced by their values as literals, or undefined when not safe. */
export function inlineParameters(sql: string, parameters: readonly unknown[]): string | undefined {
  if (parameters.length === 0) return sql
  const literals: string[] = []
  for (const p of parameters) {
    const l = literal(p)
    if (l === undefined) return undefined
    literals.push(l)
  }
  let out = ''
  let from = 0
  let i = 0
  const n = sql.length
  while (i < n) {
    const c = sql[i]
    if (c === "'" || c === '"') {
      // A quoted string or identifier; a doubled quote stays inside it.
      if (c === "'" && i > 0 && /[eE]/.test(sql[i - 1]) && (i < 2 || !/[\w$]/.test(sql[i - 2]))) return undefined
      i++
      while (i < n && !(sql[i] === c && sql[i + 1] !== c)) i += sql[i] === c ? 2 : 1
      if (i >= n) return undefined
      i++
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end === -1 ? n : end + 1
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      if (end === -1) return undefined
      i = end + 2
    } else if (c === '$') {
      const m = /^\$(\d+)/.exec(sql.slice(i, i + 12))
      if (m && !(i > 0 && /[\w$]/.test(sql[i - 1]))) {
        const index = Number(m[1]) - 1
        if (index < 0 || index >= literals.length) return undefined
        out += sql.slice(from, i) + literals[index]
        i += m[0].length
        from = i
      } else {
        // A dollar-quoted string ($$...$$ or $tag$...$tag$): skip to its closing tag.
        const tag = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i))
        if (!tag || (i > 0 && /[\w$]/.test(sql[i - 1]))) {
          i++
          continue
        }
        const end = sql.indexOf(tag[0], i + tag[0].length)
        if (end === -1) return undefined
        i = end + tag[0].length
      }
    } else i++
  }
  return out + sql.slice(from)
}
