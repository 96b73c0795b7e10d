/**
 * Issue 23, items 5 and 6 (the web side): a new CASCADE_API_TOKEN ends every command-centre session,
 * and `cascade sessions` lists (by a short REF, never the id) and ends them; behind a trusted HTTPS
 * proxy the session cookie is Secure; sign-in takes 10 wrong tokens a minute per address (in Redis,
 * so parallel guesses count too), then 429 with Retry-After.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SIGN_IN_TRIES, addressBucket, trustProxySetting } from '../../src/web/http-guards.ts'
import { Sessions } from '../../src/web/session.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { REDIS_URL, ROOT, startDistrict } from '../helpers.ts'
import { FORM, preSession, signIn, startHttp, TOKEN, type Running } from './http-helpers.ts'

let d: SimDistrict | undefined
const running: Running[] = []
afterEach(async () => {
  for (const r of running.splice(0)) await r.close()
  await d?.close()
  d = undefined
})

const NEW_TOKEN = 'n'.repeat(16) + 'fedcba9876543210'

async function start(opts: Parameters<typeof startHttp>[1] = {}): Promise<Running> {
  const r = await startHttp(d!, opts)
  running.push(r)
  return r
}

/** What an old cookie opens: 200 (the page) or 303 (to sign-in). */
async function opens(url: string, cookie: string): Promise<number> {
  return (await fetch(`${url}/cc/`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' })).status
}

/**
 * `cascade …` in a child process, waited for without blocking this process: the command centre
 * under test runs here, and a spawnSync that outlasts its keep-alive timeout (a busy machine) lets
 * the server close a pooled connection just as the next fetch reuses it (ECONNRESET).
 */
function cascade(ns: string, env: Record<string, string>, ...argv: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise(resolve => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'cascade.mjs'), ...argv], {
      cwd: ROOT, env: { ...process.env, CASCADE_FROM_SOURCE: '1', CASCADE_NS: ns, REDIS_URL, LOG_LEVEL: '', CASCADE_API_TOKEN: '', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    child.on('close', status => resolve({ status, stdout, stderr }))
  })
}

describe('command centre sessions', () => {
  it('a rotated token ends every session; cascade sessions lists and ends them without showing ids (item 5)', async () => {
    d = await startDistrict()
    const before = await start()
    const s = await signIn(before.url)
    expect(await opens(before.url, s.cookie)).toBe(200)

    // serve restarted with a new token: the API refuses the old token, and now the page the old cookie too.
    const after = await start({ token: NEW_TOKEN })
    expect((await fetch(`${after.url}/api/announcements/ZZZZ`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(401)
    expect(await opens(after.url, s.cookie)).toBe(303)
    expect((await fetch(`${after.url}/cc/publish`, { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: `_csrf=${s.csrf}&node=chaotian&text=x` })).status).toBe(401)
    // serve removes them when it starts with the new token.
    expect(await new Sessions(d.store, undefined, NEW_TOKEN).endOtherTokens()).toBe(1)

    // Listed by REF, ended by REF or all; the id in the cookie is never printed.
    const ns = d.store.keys.ns
    const a = await signIn(after.url, NEW_TOKEN)
    const b = await signIn(after.url, NEW_TOKEN)
    const list = await cascade(ns, { CASCADE_API_TOKEN: NEW_TOKEN }, 'sessions', 'list')
    expect(list.status).toBe(0)
    const refs = list.stdout.trim().split('\n').map(l => l.split(/\s+/)[0])
    expect(refs).toHaveLength(2)
    expect(list.stdout).toContain('current token')
    expect(list.stdout).toContain('from 127.0.0.1')
    for (const c of [a, b]) expect(list.stdout + list.stderr).not.toContain(c.cookie.slice('cc_sid='.length, 'cc_sid='.length + 8))
    const end = await cascade(ns, {}, 'sessions', 'end', refs[0])
    expect(end.status).toBe(0)
    expect(end.stderr).toMatch(/^Ended 1 session/)
    expect([await opens(after.url, a.cookie), await opens(after.url, b.cookie)].sort()).toEqual([200, 303])
    expect((await cascade(ns, {}, 'sessions', 'end', refs[0])).status).toBe(1) // gone
    expect((await cascade(ns, {}, 'sessions', 'end', '--all')).stderr).toMatch(/^Ended 1 session/)
    expect([await opens(after.url, a.cookie), await opens(after.url, b.cookie)]).toEqual([303, 303])
    expect((await cascade(ns, {}, 'sessions', 'end')).status).toBe(2)
  }, 60_000)

  it('behind a trusted HTTPS proxy the session cookie is Secure; a client cannot claim HTTPS itself (item 6)', async () => {
    d = await startDistrict()
    const proxied = await start({ trustProxy: trustProxySetting('loopback') })
    const https = { 'x-forwarded-proto': 'https' }
    expect((await signIn(proxied.url, TOKEN, https)).setCookie).toMatch(/cc_sid=[^\n]*; Secure/)
    expect((await signIn(proxied.url)).setCookie).not.toContain('Secure') // plain HTTP from the proxy
    const direct = await start()
    expect((await signIn(direct.url, TOKEN, https)).setCookie).not.toContain('Secure') // no proxy trusted: the header is the client's word
    expect(() => trustProxySetting('true')).toThrow(/any X-Forwarded-For/)
    expect(trustProxySetting('1')).toBe(1)
    expect(trustProxySetting(undefined)).toBe(false)
  })

  it('sign-in takes 10 wrong tokens a minute per address, parallel guesses included, then 429 (item 6)', async () => {
    d = await startDistrict()
    const proxied = await start({ trustProxy: 'loopback' })
    const from = (ip: string) => ({ 'x-forwarded-for': ip })
    const pre = await preSession(proxied.url)
    const guess = (ip: string, token: string) => fetch(`${proxied.url}/cc/login`, {
      method: 'POST', redirect: 'manual', headers: { ...FORM, ...from(ip), cookie: pre.cookie }, body: new URLSearchParams({ _csrf: pre.csrf, token }),
    })
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => guess('203.0.113.7', `guess-${i}`)))
    const statuses = answers.map(r => r.status)
    expect(SIGN_IN_TRIES).toBe(10)
    expect(statuses.filter(s => s === 401)).toHaveLength(10) // before: all 50 compared (~89 guesses/s)
    expect(statuses.filter(s => s === 429)).toHaveLength(40)
    const limited = answers.find(r => r.status === 429)!
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60)
    expect(await limited.text()).toContain('登录尝试过于频繁')
    // The right token from that address waits too; another address signs in.
    expect((await guess('203.0.113.7', TOKEN)).status).toBe(429)
    expect((await guess('198.51.100.2', TOKEN)).status).toBe(303)
    // An IPv6 host counts by its /64.
    expect(addressBucket('2001:db8:1:2:aaaa::1')).toBe(addressBucket('2001:db8:1:2:ffff:1:2:3'))
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7')
  })
})
