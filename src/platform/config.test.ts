import { describe, expect, it } from 'vitest'
import { assertReadyToServe, loadConfig, ConfigError, testConfig } from './config'

describe('config', () => {
  it('runs with no settings at all: embedded database, port 3000, local providers', () => {
    const c = loadConfig({})
    expect(c.PORT).toBe(3000)
    expect(c.embedded).toBe(true)
    expect(c.aiProvider).toBe('local')
    expect(c.seedDemo).toBe(true)
    expect(c.devEndpoints).toBe(true)
  })

  it('uses a Postgres server and the OpenAI-compatible provider when configured', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app', AI_BASE_URL: 'http://ai.local/v1', PORT: '8080' })
    expect(c.embedded).toBe(false)
    expect(c.seedDemo).toBe(false)
    expect(c.aiProvider).toBe('openai')
    expect(c.PORT).toBe(8080)
  })

  it('names every invalid setting', () => {
    expect(() => loadConfig({ PORT: 'eighty', DATABASE_URL: 'not a url' })).toThrow(/PORT[\s\S]*DATABASE_URL|DATABASE_URL[\s\S]*PORT/)
  })

  it('refuses to serve in production with development secrets, the dev mailbox or public webhooks', () => {
    const serving = (env: Record<string, string>) => () => assertReadyToServe(loadConfig(env))
    expect(serving({ NODE_ENV: 'production' })).toThrow(ConfigError)
    expect(serving({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET[\s\S]*OTP_PEPPER[\s\S]*ENCRYPTION_KEYS[\s\S]*SMTP_URL/)
    expect(serving(PRODUCTION)).not.toThrow()
    expect(loadConfig(PRODUCTION).devEndpoints).toBe(false)
    expect(serving({ ...PRODUCTION, DEV_ENDPOINTS: 'true' })).toThrow(/DEV_ENDPOINTS/)
    expect(serving({ ...PRODUCTION, SMTP_URL: '' })).toThrow(/SMTP_URL is unset/)
    expect(serving({ ...PRODUCTION, PAYMENTS_PROVIDER: 'local' })).toThrow(/PAYMENTS_PROVIDER=local needs STRIPE_WEBHOOK_SECRET/)
    expect(serving({ ...PRODUCTION, PAYMENTS_PROVIDER: 'local', STRIPE_WEBHOOK_SECRET: 'whsec_own' })).not.toThrow()
  })

  it('is development only when asked, or for the embedded database on a loopback address', () => {
    const quickStart = loadConfig({})
    expect([quickStart.NODE_ENV, quickStart.HOST, quickStart.devEndpoints]).toEqual(['development', '127.0.0.1', true])
    // The README's server steps with NODE_ENV forgotten: production, so the checks above apply.
    const server = loadConfig({ DATABASE_URL: 'postgres://u@db:5432/app' })
    expect([server.NODE_ENV, server.HOST, server.devEndpoints]).toEqual(['production', '0.0.0.0', false])
    expect(server.modeReason).toMatch(/Postgres server/)
    expect(() => assertReadyToServe(server)).toThrow(/JWT_SECRET is the development secret/)
    const publicBind = loadConfig({ HOST: '0.0.0.0' })
    expect([publicBind.NODE_ENV, publicBind.devEndpoints]).toEqual(['production', false])
    const asked = loadConfig({ NODE_ENV: 'development', DATABASE_URL: 'postgres://u@db:5432/app' })
    expect([asked.NODE_ENV, asked.HOST]).toEqual(['development', '127.0.0.1'])
    expect(() => assertReadyToServe(asked)).not.toThrow()
  })
})

const PRODUCTION = {
  NODE_ENV: 'production',
  JWT_SECRET: 'a-real-secret-that-is-long-enough-0123456789',
  OTP_PEPPER: 'a-real-pepper',
  ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  SMTP_URL: 'smtp://mail.internal:587',
}

describe('ENCRYPTION_KEYS', () => {
  const prod = { ...PRODUCTION, ENCRYPTION_KEYS: undefined }
  const serve = (env: Record<string, string | undefined>) => assertReadyToServe(loadConfig(env))
  const devKey = loadConfig({}).ENCRYPTION_KEYS

  it('names a malformed key among the invalid settings', () => {
    expect(() => loadConfig({ ENCRYPTION_KEYS: Buffer.alloc(32, 7).toString('base64') })).toThrow(/ENCRYPTION_KEYS: key 1 has no id/)
    expect(() => loadConfig({ ENCRYPTION_KEYS: `k1:${Buffer.alloc(31, 7).toString('base64')}` })).toThrow(/ENCRYPTION_KEYS:.*31 bytes/)
  })

  it('keeps a development key outside production and refuses it in production under any id', () => {
    expect(devKey).toMatch(/^dev:/)
    const real = `k1:${Buffer.alloc(32, 7).toString('base64')}`
    expect(loadConfig({ ...prod, ENCRYPTION_KEYS: real }).ENCRYPTION_KEYS).toBe(real)
    expect(() => serve({ ...prod, ENCRYPTION_KEYS: real })).not.toThrow()
    expect(() => serve({ ...prod, ENCRYPTION_KEYS: devKey })).toThrow(/ENCRYPTION_KEYS contains the development key/)
    const renamed = `${real},old:${devKey.slice('dev:'.length)}`
    expect(() => serve({ ...prod, ENCRYPTION_KEYS: renamed })).toThrow(/ENCRYPTION_KEYS contains the development key/)
  })
})

describe('TRUST_PROXY', () => {
  it('is off unless set; takes true or a list of addresses and ranges; refuses a hop count', () => {
    expect(testConfig().TRUST_PROXY).toBe(false)
    expect(testConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true)
    expect(testConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,loopback' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1', 'loopback'])
    expect(() => testConfig({ TRUST_PROXY: '2' })).toThrow(/TRUST_PROXY/)
    expect(() => testConfig({ TRUST_PROXY: '10.0.0.0/40' })).toThrow(/TRUST_PROXY/)
  })
})

describe('.env.example', () => {
  it('lists every setting config.ts reads', async () => {
    const fs = await import('node:fs')
    const { configSchema } = await import('./config')
    const example = fs.readFileSync('.env.example', 'utf8')
    const missing = Object.keys(configSchema.shape).filter((k) => !new RegExp(`^# ${k}=`, 'm').test(example))
    expect(missing).toEqual([])
  })
})

describe('matchbase serve', () => {
  it('refuses to start on a server database with NODE_ENV unset and development secrets, before touching the database', async () => {
    const { serve } = await import('../server')
    // Port 1 on loopback: if serve tried to connect first, the error would be a connection error.
    const config = loadConfig({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', LOG_LEVEL: 'silent' })
    await expect(serve(config, {}, () => {})).rejects.toThrow(
      /Refusing to serve in production \(NODE_ENV unset and a Postgres server configured\)/,
    )
  })
})
