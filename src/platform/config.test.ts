import { describe, expect, it } from 'vitest'
import { loadConfig, ConfigError } from './config'

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

  it('refuses to start in production with development secrets', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError)
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/)
    const ok = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: 'a-real-secret-that-is-long-enough-0123456789',
      OTP_PEPPER: 'a-real-pepper',
      ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    })
    expect(ok.devEndpoints).toBe(false)
    expect(() =>
      loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: 'a-real-secret-that-is-long-enough-0123456789',
        OTP_PEPPER: 'a-real-pepper',
        ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
        DEV_ENDPOINTS: 'true',
      }),
    ).toThrow(/DEV_ENDPOINTS/)
  })
})

describe('ENCRYPTION_KEYS', () => {
  const prod = {
    NODE_ENV: 'production',
    JWT_SECRET: 'a-real-secret-that-is-long-enough-0123456789',
    OTP_PEPPER: 'a-real-pepper',
  }
  const devKey = loadConfig({}).ENCRYPTION_KEYS

  it('names a malformed key among the invalid settings', () => {
    expect(() => loadConfig({ ENCRYPTION_KEYS: Buffer.alloc(32, 7).toString('base64') })).toThrow(/ENCRYPTION_KEYS: key 1 has no id/)
    expect(() => loadConfig({ ENCRYPTION_KEYS: `k1:${Buffer.alloc(31, 7).toString('base64')}` })).toThrow(/ENCRYPTION_KEYS:.*31 bytes/)
  })

  it('keeps a development key outside production and refuses it in production under any id', () => {
    expect(devKey).toMatch(/^dev:/)
    const real = `k1:${Buffer.alloc(32, 7).toString('base64')}`
    expect(loadConfig({ ...prod, ENCRYPTION_KEYS: real }).ENCRYPTION_KEYS).toBe(real)
    expect(() => loadConfig({ ...prod, ENCRYPTION_KEYS: devKey })).toThrow(/ENCRYPTION_KEYS contains the development key/)
    const renamed = `${real},old:${devKey.slice('dev:'.length)}`
    expect(() => loadConfig({ ...prod, ENCRYPTION_KEYS: renamed })).toThrow(/ENCRYPTION_KEYS contains the development key/)
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
