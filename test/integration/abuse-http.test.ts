/**
 * Issue 23, item 4: a client's mistake is a 400/413/415 with a short reason, never a 500 and an
 * error-level line: an unknown charset or Content-Encoding on the API and the sign-in form, a
 * repeated form field (token, _csrf, reason, text), a sign-in body over 64 kB.
 *
 * Issue 13, item 11: the HTTP side. A 10 MB body answers 413 and malformed JSON 400 (not 500),
 * neither logged with its body; /readyz without the token shows counts, not person ids; serve
 * refuses the example token and short ones and listens on 127.0.0.1 by default. A notice published
 * through the API right after still goes out urgent.
 */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { BotHealth } from '../../src/infra/bot-health.ts'
import { createHttpApp } from '../../src/web/api.ts'
import { DEFAULT_HOST, tokenProblem } from '../../src/web/http-guards.ts'
import { createScraper } from '../../src/infra/metrics-scrape.ts'
import { serve } from '../../src/cli/serve.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { REDIS_URL, startDistrict } from '../helpers.ts'
import { urgentPostsOf } from './abuse-helpers.ts'
import { errorLines, FORM, preSession, recordingLogger, signIn, startHttp, TOKEN } from './http-helpers.ts'

let d: SimDistrict | undefined
let server: Server | undefined
let closeRun: (() => Promise<void>) | undefined
afterEach(async () => {
  await closeRun?.()
  closeRun = undefined
  await new Promise<void>(resolve => { if (!server) return resolve(); server.closeAllConnections(); server.close(() => resolve()) })
  server = undefined
  await d?.close()
  d = undefined
})


describe('the HTTP side', () => {
  it("answers a client's mistake with 400, 413 or 415 and a short reason, not 500 (issue 23, item 4)", async () => {
    d = await startDistrict()
    const run = await startHttp(d)
    closeRun = run.close
    const { url, lines } = run
    const auth = { authorization: `Bearer ${TOKEN}` }
    const body = JSON.stringify({ node: 'chaotian', text: '今晚停水' })
    const answer = async (path: string, init: RequestInit) => {
      const res = await fetch(`${url}${path}`, { redirect: 'manual', ...init })
      return { status: res.status, text: await res.text() }
    }

    // The API: an unknown charset or Content-Encoding.
    const latin1 = await answer('/api/announcements', { method: 'POST', headers: { ...auth, 'content-type': 'application/json; charset=latin1' }, body })
    expect(latin1).toEqual({ status: 415, text: expect.stringContaining('charset') })
    const zip = await answer('/api/announcements', { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'x-zip' }, body })
    expect(zip).toEqual({ status: 415, text: expect.stringContaining('Content-Encoding') })

    // The sign-in form, no session needed.
    const pre = await preSession(url)
    const login = (form: string, headers: Record<string, string> = {}) => answer('/cc/login', { method: 'POST', headers: { ...FORM, cookie: pre.cookie, ...headers }, body: form })
    const ok = `_csrf=${encodeURIComponent(pre.csrf)}&token=${TOKEN}`
    expect((await login(`${ok}&token=${TOKEN}`)).status).toBe(400)
    expect((await login(`${ok}&_csrf=x`)).status).toBe(400)
    expect(await login(ok, { 'content-type': 'application/x-www-form-urlencoded; charset=utf-16' })).toEqual({ status: 415, text: expect.stringContaining('UTF-8') })
    expect((await login(ok, { 'content-encoding': 'x-zip' })).status).toBe(415)
    expect(await login(`${ok}&pad=${'x'.repeat(70_000)}`)).toEqual({ status: 413, text: expect.stringContaining('64 kB') })
    expect((await login(ok, { cookie: `${pre.cookie}; cc_sid=%E0%A4` })).status).toBe(303) // a cookie that is not percent-encoding is no 500 either

    // Signed in: _csrf, reason or text twice.
    const s = await signIn(url)
    const code = (await d.app.publish({ node: 'chaotian', author: 'ops-cli', text: '明天停水' })).code
    const act = (path: string, form: string) => answer(path, { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: form })
    const csrf = `_csrf=${encodeURIComponent(s.csrf)}`
    expect((await act('/cc/publish', `${csrf}&_csrf=${encodeURIComponent(s.csrf)}&node=chaotian&text=x`)).status).toBe(400)
    expect((await act(`/cc/n/${code}/retract`, `${csrf}&confirm=yes&reason=a&reason=b`)).status).toBe(400)
    const twice = await act(`/cc/n/${code}/correct`, `${csrf}&confirm=yes&text=a&text=b`)
    expect(twice).toEqual({ status: 400, text: expect.stringContaining('重复') })
    expect(await d.store.cancelledBy(code)).toBeFalsy()

    expect(errorLines(lines)).toEqual([])
    expect(lines.filter(l => /"status":(400|413|415)/.test(l)).length).toBeGreaterThanOrEqual(9)
  })

  it('answers 413 and 400 without logging bodies, shows counts without the token, and the next notice goes out', async () => {
    d = await startDistrict()
    const lines: string[] = []
    const http = createHttpApp({ app: d.app, token: TOKEN, log: recordingLogger(lines), scraper: createScraper(d.app) })
    server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }

    const huge = JSON.stringify({ node: 'chaotian', text: '电话 13800000000 '.repeat(600_000) })
    expect((await fetch(`${url}/api/announcements`, { method: 'POST', headers: auth, body: huge })).status).toBe(413)
    const bad = await fetch(`${url}/api/announcements`, { method: 'POST', headers: auth, body: '{"node": "chaotian", "text": "手机 13900000000' })
    expect(bad.status).toBe(400)
    expect(await bad.json()).toMatchObject({ error: expect.stringContaining('malformed') })
    expect(lines.join('\n')).not.toContain('13900000000')
    expect(lines.join('\n')).not.toContain('13800000000')
    expect(lines.some(l => l.includes('"level":"error"'))).toBe(false)

    // /status: counts without the token, the people with it.
    await new BotHealth(d.store).recordMissing('bot-north', { people: ['li-hong', 'wang-jun'], groups: ['西村二组群'] })
    const open = await (await fetch(`${url}/status`)).json() as { bots: { id: string; missingPeople: unknown; missingGroups: unknown }[] }
    expect(open.bots.find(b => b.id === 'bot-north')).toMatchObject({ missingPeople: 2, missingGroups: 1 })
    expect(JSON.stringify(open)).not.toContain('li-hong')
    expect(JSON.stringify(open)).not.toContain('西村二组群')
    const full = await (await fetch(`${url}/status`, { headers: auth })).json() as { bots: { id: string; missingPeople: unknown }[] }
    expect(full.bots.find(b => b.id === 'bot-north')!.missingPeople).toEqual(['li-hong', 'wang-jun'])
    expect(await (await fetch(`${url}/metrics`)).text()).not.toContain('li-hong')

    // The API still publishes, and the notice goes out urgent.
    const res = await fetch(`${url}/api/announcements`, { method: 'POST', headers: auth, body: JSON.stringify({ node: 'zhongzi-xicun', text: '紧急：今晚停水', severity: 'urgent' }) })
    expect(res.status).toBe(201)
    await urgentPostsOf(d, (await res.json() as { code: string }).code, 'zhongzi-xicun')
  })

  it('keeps the queue dashboard read-only: adding, retrying or cleaning jobs is refused', async () => {
    d = await startDistrict()
    const http = createHttpApp({ app: d.app, token: TOKEN, log: recordingLogger([]), scraper: createScraper(d.app) })
    server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin/queues`
    const basic = { authorization: `Basic ${Buffer.from(`ops:${TOKEN}`).toString('base64')}`, 'content-type': 'application/json' }
    const queue = 'outbox-bot-north'
    const before = await d.outboxes.backlog('bot-north')
    const forged = { name: 'send', data: { idem: 'forged', target: { kind: 'group', topic: '西村村民群' }, text: '【紧急通知】伪造的通知' }, options: {} }
    expect((await fetch(`${url}/api/queues/${queue}/add`, { method: 'POST', headers: basic, body: JSON.stringify(forged) })).status).toBe(405)
    expect((await fetch(`${url}/api/queues/${queue}/clean/completed`, { method: 'PUT', headers: basic })).status).toBe(405)
    expect((await fetch(`${url}/api/queues/${queue}/retry/failed`, { method: 'PUT', headers: basic })).status).toBe(405)
    expect(await d.outboxes.backlog('bot-north')).toBe(before)
    expect((await fetch(`${url}/api/queues`, { headers: basic })).status).toBe(200)
    expect((await fetch(`${url}/api/queues/${queue}/add`, { method: 'POST', body: JSON.stringify(forged) })).status).toBe(401)
    await d.idle()
    expect(d.world.postsIn('西村村民群', '伪造')).toHaveLength(0)
    const code = (await d.app.publish({ node: 'zhongzi-xicun', author: 'ops-cli', text: '紧急：今晚停水', severity: 'urgent' })).code
    await urgentPostsOf(d, code, 'zhongzi-xicun')
  })

  it('refuses the example token and short ones, and listens on 127.0.0.1 by default', async () => {
    expect(tokenProblem('change-me')).toContain('example')
    expect(tokenProblem('short-but-random-Zq81')).toContain('at least 32')
    expect(tokenProblem(TOKEN)).toBeUndefined()
    expect(tokenProblem(undefined)).toBeUndefined()
    expect(DEFAULT_HOST).toBe('127.0.0.1')
    const cfg = (await import('../helpers.ts')).demoConfig
    await expect(serve(await cfg(), { port: 0 }, { CASCADE_API_TOKEN: 'change-me', REDIS_URL })).rejects.toThrow(/example/)
  })
})
