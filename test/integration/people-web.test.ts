/**
 * The command centre per person (issue 24), over plain HTTP against the demo district on the mock
 * puppet (the browser's side is test/browser/people.test.ts): the one-time code never lingers in
 * the outbox's job data or the logs; asking for codes does not tell who is in people.yaml; no
 * token, no command centre; a case's handlers act on it from its page through the chat's path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { CODES_PER_ADDRESS } from '../../src/web/person-signin.ts'
import { Sessions } from '../../src/web/session.ts'
import { casesOf } from '../../src/features/cases/cases.ts'
import { publicTopics, startDistrict, waitFor } from '../helpers.ts'
import { FORM, preSession, recordingLogger, signIn, startHttp, TOKEN, type Running } from './http-helpers.ts'

const CURATOR = 'zhang-guiying' // 张桂英, curator of 西村
const OTHER_CURATOR = 'yang-xiuzhen' // curator of 东坝村

let d: SimDistrict
let run: Running
/** Every log line of the district's processes (the HTTP app's are in run.lines). */
const lines: string[] = []

beforeAll(async () => {
  d = await startDistrict({ log: recordingLogger(lines) })
  for (const p of [CURATOR, OTHER_CURATOR]) await d.bind(p)
  await waitFor('the curators bound', async () => (await Promise.all([CURATOR, OTHER_CURATOR].map(p => d.store.bindingsOf(p)))).every(b => Object.keys(b).length > 0))
  run = await startHttp(d)
}, 60_000)

afterAll(async () => {
  await run?.close()
  await d?.close()
}, 30_000)

const dms = (person: string) => d.world.dmsTo(personContactId(person))

/** Asks for a code for `who` from a fresh sign-in form; the page's status and text. */
async function askCode(who: string): Promise<{ status: number; text: string; retryAfter: number; pre: { cookie: string; csrf: string } }> {
  const pre = await preSession(run.url)
  const res = await fetch(`${run.url}/cc/login/code`, { method: 'POST', headers: { ...FORM, cookie: pre.cookie }, body: new URLSearchParams({ _csrf: pre.csrf, who }) })
  return { status: res.status, text: await res.text(), retryAfter: Number(res.headers.get('retry-after')), pre }
}

describe('signing in as a person', () => {
  it('a one-time code is kept out of the outbox job and the logs, and is not sent once expired', async () => {
    const bot = d.homeBot(CURATOR)
    const queue = d.app.outboxes.queue(bot)
    const jobsText = async () => JSON.stringify((await queue.getJobs(['completed', 'failed', 'waiting', 'prioritized', 'delayed', 'active'])).map(j => j?.data))
    const before = dms(CURATOR).length
    expect((await askCode(CURATOR)).status).toBe(200)
    const dm = await waitFor('the code in WeChat', () => dms(CURATOR).slice(before).find(m => m.text.includes('验证码')))
    const code = /验证码：(\d{6})/.exec(dm.text)![1]
    // Sent: the job is gone (not kept as completed), and so is the text kept apart for it.
    await waitFor('the send removed', async () => (await queue.getJobs(['completed', 'waiting', 'prioritized', 'active'])).every(j => !j?.data.idem.startsWith('signin-')))
    expect(await jobsText()).not.toContain(code)
    expect(await d.store.redis.keys(`${d.store.keys.base}secret:*`)).toEqual([])
    for (const line of [...lines, ...run.lines]) expect(line).not.toContain(code)

    // A send still waiting holds a reference only; its text expires with the code and is then not sent.
    await queue.pause()
    try {
      expect((await askCode(CURATOR)).status).toBe(200)
      const [key] = await waitFor('the text kept apart', () => d.store.redis.keys(`${d.store.keys.base}secret:*`))
      const ttl = await d.store.redis.ttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(300)
      const waiting = (await queue.getJobs(['waiting', 'prioritized'])).find(j => j?.data.idem.startsWith('signin-'))!
      expect(waiting.data).toMatchObject({ text: '', secretKey: key })
      // The code is in the kept-apart text only (the job's idem ends in random digits: look for this code).
      const kept = /验证码：(\d{6})/.exec((await d.store.redis.get(key)) ?? '')![1]
      expect(JSON.stringify(waiting.data)).not.toContain(kept)
      await d.store.redis.del(key) // as after its five minutes
    } finally {
      await queue.resume()
    }
    const sent = dms(CURATOR).length
    await waitFor('the expired send dropped', async () => (await queue.getJobs(['completed', 'failed', 'waiting', 'prioritized', 'delayed', 'active'])).every(j => !j?.data.idem.startsWith('signin-')))
    expect(lines.some(l => l.includes('"reason":"secret expired"'))).toBe(true)
    expect(dms(CURATOR).length).toBe(sent)
  })

  it('every code request counts on the address, and known and unknown names get the same page', async () => {
    for (const k of await d.store.redis.keys(`${d.store.keys.base}cc:codes*`)) await d.store.redis.del(k)
    // Without the name typed in and the form's token, the pages of a person sent a code, a person
    // not bound and a name nobody has are the same.
    const same = (who: string, page: string) => page.replace(/value="[^"]*"/g, '').replaceAll(who, '')
    const before = dms(CURATOR).length
    const asked = await Promise.all(['张桂英', 'li-hong', '王不在'].map(async who => ({ who, ...await askCode(who) })))
    expect(asked.map(a => a.status)).toEqual([200, 200, 200])
    expect(new Set(asked.map(a => same(a.who, a.text))).size).toBe(1)
    await waitFor('the code in WeChat', () => dms(CURATOR).slice(before).find(m => m.text.includes('验证码')))
    // A wrong code for the person and any code for a name nobody has: answered alike too.
    const verify = async (a: typeof asked[number]) => {
      const res = await fetch(`${run.url}/cc/login/verify`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie: a.pre.cookie }, body: new URLSearchParams({ _csrf: a.pre.csrf, who: a.who, code: '000000' }) })
      return { status: res.status, text: same(a.who, await res.text()) }
    }
    const [known, nobody] = [await verify(asked[0]), await verify(asked[2])]
    expect([known.status, nobody.status]).toEqual([401, 401])
    expect(known.text).toBe(nobody.text)
    // Names nobody has count on the address like any request: after CODES_PER_ADDRESS, 429.
    for (let i = asked.length; i < CODES_PER_ADDRESS; i++) expect((await askCode(`无此人${i}`)).status).toBe(200)
    const limited = await askCode('无此人')
    expect(limited.status).toBe(429)
    expect(limited.retryAfter).toBeGreaterThan(0)
    for (const line of run.lines) expect(line).not.toContain('王不在')
  })

  it('without CASCADE_API_TOKEN the command centre is closed: no sign-in, no code, no session from before', async () => {
    const ops = await signIn(run.url)
    const person = await new Sessions(d.store, undefined, TOKEN).create(Date.now(), '127.0.0.1', CURATOR)
    const codeKey = `${d.store.keys.base}cc:code:${CURATOR}`
    const code = await d.store.redis.hget(codeKey, 'h')
    const closed = await startHttp(d, { token: undefined })
    try {
      const login = await fetch(`${closed.url}/cc/login`)
      expect(login.status).toBe(503)
      expect(await login.text()).toContain('指挥中心未启用')
      expect((await fetch(`${closed.url}/cc/login/code`, { method: 'POST', headers: FORM, body: new URLSearchParams({ who: CURATOR }) })).status).toBe(503)
      expect(await d.store.redis.hget(codeKey, 'h')).toBe(code)
      for (const cookie of [ops.cookie, `cc_sid=${person.id}`]) {
        for (const p of ['/cc/', '/cc/api/announcements', `/cc/live?view=/cc/`]) expect((await fetch(`${closed.url}${p}`, { headers: { cookie }, redirect: 'manual' })).status).toBe(503)
      }
    } finally {
      await closed.close()
    }
    // The sessions themselves are not touched: with the token back they open again (until they end).
    for (const cookie of [ops.cookie, `cc_sid=${person.id}`]) expect((await fetch(`${run.url}/cc/`, { headers: { cookie }, redirect: 'manual' })).status).toBe(200)
  })

  it("a case's handlers take, answer and close it from its page through the chat commands' path; others cannot", async () => {
    const [topic] = publicTopics(d, 'zhongzi-xicun')
    const reporter = d.world.villagersOf(topic)[0]
    d.world.sayInGroup(reporter, topic, '求助 家里老人行动不便需要送药')
    const desk = casesOf(d.app)!
    const c = await waitFor('the case', async () => (await desk.store.all()).find(x => x.node === 'zhongzi-xicun'))
    expect(c.responsible).toContain(CURATOR)
    const session = async (person?: string) => {
      const s = await new Sessions(d.store, undefined, TOKEN).create(Date.now(), '127.0.0.1', person)
      return { cookie: `cc_sid=${s.id}`, csrf: s.session.csrf }
    }
    const [mine, other, ops] = [await session(CURATOR), await session(OTHER_CURATOR), await session()]
    const get = async (v: { cookie: string }) => { const r = await fetch(`${run.url}/cc/c/${c.code}`, { headers: { cookie: v.cookie } }); return { status: r.status, text: await r.text() } }
    const post = (v: { cookie: string; csrf: string }, action: string, fields: Record<string, string> = {}) =>
      fetch(`${run.url}/cc/c/${c.code}/${action}`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie: v.cookie }, body: new URLSearchParams({ _csrf: v.csrf, ...fields }) })
    // The publishing desk (series, inbox) is not a village curator's: not found, and not in the nav; ops have it.
    for (const path of ['/cc/series', '/cc/inbox']) {
      expect((await fetch(`${run.url}${path}`, { headers: { cookie: mine.cookie } })).status).toBe(404)
      expect((await fetch(`${run.url}${path}`, { headers: { cookie: ops.cookie } })).status).toBe(200)
    }
    expect((await get(mine)).text).not.toContain('href="/cc/series"')
    expect((await post(mine, '../../series/S1/run')).status).toBe(404)
    // Another village's curator: not found, page and action alike. Ops see the case, without forms, and act on none.
    expect((await get(other)).status).toBe(404)
    expect((await post(other, 'take')).status).toBe(404)
    const opsPage = await get(ops)
    expect(opsPage.status).toBe(200)
    expect(opsPage.text).not.toContain('case-actions')
    expect((await post(ops, 'take')).status).toBe(303)
    expect((await desk.store.get(c.code))?.state).toBe(c.state)

    // The curator: the forms, then 接单 / 办结 from the web — the chat's answers, the reporter told, audited as web.
    const page = await get(mine)
    expect(page.text).toContain(`action="/cc/c/${c.code}/take"`)
    expect((await post(mine, 'close', { result: ' ' })).status).toBe(303) // blank: the problem is told, nothing done
    expect((await desk.store.get(c.code))?.state).toBe(c.state)
    const taken = await post(mine, 'take', { nonce: /name="nonce" value="([^"]+)"/.exec(page.text)![1] })
    expect(taken.headers.get('location')).toBe(`/cc/c/${c.code}`)
    expect(await desk.store.get(c.code)).toMatchObject({ state: 'taken', takenBy: CURATOR })
    expect((await get(mine)).text).toContain(`已接单 ${c.code}`) // the chat's own reply, as the flash
    await post(mine, 'close', { result: '网格员已送药到家', nonce: 'close-nonce-1' })
    expect(await desk.store.get(c.code)).toMatchObject({ state: 'closed', closedBy: CURATOR, result: '网格员已送药到家' })
    await waitFor('the reporter told', () => d.world.dmsTo(reporter).find(m => m.text.includes('网格员已送药到家')))
    const history = await desk.store.history(c.code)
    for (const kind of ['take', 'close']) expect(history.find(e => e.kind === kind)).toMatchObject({ actor: CURATOR, via: 'web' })
    // Nobody else acted on it: neither the other curator nor ops.
    expect(history.filter(e => ['take', 'reply', 'close', 'transfer', 'verify'].includes(e.kind) && e.actor !== CURATOR)).toEqual([])
    expect(history.filter(e => e.kind === 'take' || e.kind === 'close')).toHaveLength(2)
    expect((await get(mine)).text).toMatch(/<li class="ev ev-close">[^\n]*张桂英 · 网页/)
  })
})
