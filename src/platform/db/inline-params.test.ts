import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestEnv, type TestEnv } from '../../../test/support/test-env'
import { inlineParameters } from './inline-params'

describe('inlineParameters', () => {
  it('writes each value in as a quoted literal, in the order of its number', () => {
    expect(inlineParameters('select $2, $1, $10', ['a', "it's", 3, 4, 5, 6, 7, 8, 9, 'ten'])).toBe(`select 'it''s', 'a', 'ten'`)
    expect(inlineParameters('select $1', [null])).toBe('select NULL')
    expect(inlineParameters('select $1', [undefined])).toBe('select NULL')
    expect(inlineParameters('select $1', ['a\\b'])).toBe(`select  E'a\\\\b'`) // escapeLiteral's E'' form
  })

  it('leaves $n alone inside strings, quoted names, comments and dollar quotes', () => {
    const sql = `select '$1', "a$1", $1 -- $1\n, /* $1 */ $$ $1 $$, $tag$ $1 $tag$, x$1 from t where y = $2`
    expect(inlineParameters(sql, ['v', 'w'])).toBe(
      `select '$1', "a$1", 'v' -- $1\n, /* $1 */ $$ $1 $$, $tag$ $1 $tag$, x$1 from t where y = 'w'`,
    )
  })

  it('refuses what it cannot write safely: NUL in text, E-strings, a number with no value, unclosed quotes', () => {
    expect(inlineParameters('select $1', ['a\0b'])).toBeUndefined()
    expect(inlineParameters(`select E'\\'' || $1`, ['x'])).toBeUndefined()
    expect(inlineParameters('select $2', ['x'])).toBeUndefined()
    expect(inlineParameters(`select 'open $1`, ['x'])).toBeUndefined()
  })

  describe('means what the parameterised statement means', () => {
    let env: TestEnv
    beforeAll(async () => {
      env = await createTestEnv()
    })
    afterAll(() => env.close())

    const values: [string, unknown][] = [
      ['text with quotes and backslashes', `it's a \\ "test" \\x00 $1 --`],
      ['unicode', 'Zoë 🎸 ünïcode'],
      ['empty text', ''],
      ['integer', 42],
      ['negative float', -1.5e-7],
      ['bigint', 9007199254740993n],
      ['boolean', true],
      ['date', new Date('2026-12-03T10:11:12.345Z')],
      ['array of text', ['a', "b'c", 'd\\e', null]],
      ['array of numbers', [1, 2, 3]],
      ['json object', { a: "it's", b: [1, null, { c: '\\' }] }],
      ['bytes', Buffer.from([0, 1, 2, 255, 39, 92])],
    ]
    const casts: Record<string, string> = {
      integer: 'int',
      'negative float': 'float8',
      bigint: 'int8',
      boolean: 'bool',
      date: 'timestamptz',
      'array of text': 'text[]',
      'array of numbers': 'int[]',
      'json object': 'jsonb',
      bytes: 'bytea',
    }
    for (const [name, value] of values) {
      it(name, async () => {
        const cast = casts[name] ?? 'text'
        const statement = `select $1::${cast} as v, pg_typeof($1::${cast})::text as t`
        const inlined = inlineParameters(statement, [value])!
        expect(inlined).toBeDefined()
        const withParameter = await env.platform.db.pool.query(statement, [value])
        const written = await env.platform.db.pool.query(inlined)
        expect(written.rows).toEqual(withParameter.rows)
      })
    }

    it('a value typed by its context, with no cast', async () => {
      await env.platform.db.pool.query('create table inline_probe (n int, at timestamptz, tags text[])')
      const statement = 'insert into inline_probe values ($1, $2, $3) returning *'
      const params = [7, new Date('2026-01-02T03:04:05Z'), ['x', 'y']]
      const a = await env.platform.db.pool.query(statement, params)
      const b = await env.platform.db.pool.query(inlineParameters(statement, params)!)
      expect(b.rows).toEqual(a.rows)
    })
  })
})
