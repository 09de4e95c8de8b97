// The floor for GET /briefs/:id: the least a server can do for an authenticated read of one row
// under row-level security. Fastify + pg and nothing of Matchbase's: verify the same JWT with
// jose, then begin; set the role and claims; select the brief; commit — what withUser does.
import Fastify from 'fastify'
import pg from 'pg'
import { jwtVerify } from 'jose'

const url = process.env.DATABASE_URL!
const key = new TextEncoder().encode(process.env.JWT_SECRET!)
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.DATABASE_POOL_MAX ?? 20) })
const app = Fastify({ logger: false })

app.get<{ Params: { id: string } }>('/briefs/:id', async (req, reply) => {
  const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1]
  if (!token) return reply.code(401).send({ error: { code: 'unauthorized', message: 'Missing bearer token' } })
  let claims: Awaited<ReturnType<typeof jwtVerify>>['payload']
  try {
    const { payload } = await jwtVerify(token, key, { audience: 'onedesigner', issuer: 'matchbase', algorithms: ['HS256'] })
    claims = { ...payload, sub: payload.sub, role: payload.role, app: 'onedesigner' }
  } catch {
    return reply.code(401).send({ error: { code: 'unauthorized', message: 'Invalid token' } })
  }
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query(`select set_config('role', 'matchbase_user', true), set_config('request.claims', $1, true)`, [
      JSON.stringify(claims),
    ])
    const { rows } = await client.query('select * from onedesigner.briefs where id = $1', [req.params.id])
    await client.query('commit')
    if (!rows[0]) return reply.code(404).send({ error: { code: 'not_found', message: 'No such brief' } })
    return rows[0]
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  } finally {
    client.release()
  }
})

void app.listen({ host: '127.0.0.1', port: 0 }).then(() => {
  const address = app.server.address()
  process.send!({ type: 'ready', port: typeof address === 'object' && address ? address.port : 0 })
  process.on('message', async (m: { type: string }) => {
    if (m.type === 'stop') {
      await app.close()
      await pool.end()
      process.exit(0)
    }
  })
})
