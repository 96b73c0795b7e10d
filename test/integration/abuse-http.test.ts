/**
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
import type { Logger } from '../../src/infra/log.ts'
import { createScraper } from '../../src/infra/metrics.ts'
import { serve } from '../../src/cli/serve.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { REDIS_URL, startDistrict } from '../helpers.ts'
import { urgentPostsOf } from './abuse-helpers.ts'

let d: SimDistrict | undefined
let server: Server | undefined
afterEach(async () => {
  await new Promise<void>(resolve => { if (!server) return resolve(); server.closeAllConnections(); server.close(() => resolve()) })
  server = undefined
  await d?.close()
  d = undefined
})

const TOKEN = 'k'.repeat(16) + '0123456789abcdef'

/** A logger that keeps every entry, to check what reaches the logs. */
function recordingLogger(lines: string[]): Logger {
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => { lines.push(JSON.stringify({ level, event, ...fields, err: String(fields.err ?? '') })) }
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log }
  return log
}

describe('the HTTP side', () => {
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

    // /readyz: counts without the token, the people with it.
    await new BotHealth(d.store).recordMissing('bot-north', { people: ['li-hong', 'wang-jun'], groups: ['西村二组群'] })
    const open = await (await fetch(`${url}/readyz`)).json() as { bots: { id: string; missingPeople: unknown; missingGroups: unknown }[] }
    expect(open.bots.find(b => b.id === 'bot-north')).toMatchObject({ missingPeople: 2, missingGroups: 1 })
    expect(JSON.stringify(open)).not.toContain('li-hong')
    expect(JSON.stringify(open)).not.toContain('西村二组群')
    const full = await (await fetch(`${url}/readyz`, { headers: auth })).json() as { bots: { id: string; missingPeople: unknown }[] }
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
