/**
 * The command centre per person (issue 24), in Debian's chromium against the demo district on the
 * mock puppet: sign-in with a one-time code that the person's simulated WeChat contact receives,
 * each role's scope on pages, the live stream and the JSON, web decisions through the chat
 * commands' code path, and the audit by name and channel. Screenshots of the curator's view go
 * to artifacts/screenshots/ (not committed) at 1280×800 and 390×844, so that a test run leaves the
 * checkout clean; with CASCADE_SCREENSHOTS_TO_DOCS=1 they are also copied to docs/screens/
 * (committed, shown in the README) — set it only when the pages changed and the pictures should too.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { silentLogger } from '../../src/infra/log.ts'
import { createScraper } from '../../src/infra/metrics-scrape.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { PeopleAdmin } from '../../src/store/people-admin.ts'
import { createHttpApp } from '../../src/web/api.ts'
import { ROOT, startDistrict, waitFor } from '../helpers.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const TOKEN = 'cc-people-token-7f3a'
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots')
/** The committed copies (README), refreshed only when CASCADE_SCREENSHOTS_TO_DOCS=1. */
const DOC_SCREENS = path.join(ROOT, 'docs', 'screens')
const TOWNSHIP = 'zhongzi'
const TOWNSHIP_CURATOR = 'li-hong' // 李红
const VILLAGE = 'zhongzi-xicun'
const VILLAGE_CURATOR = 'zhang-guiying' // 张桂英 (西村)
const OTHER_VILLAGE = 'zhongzi-dongba'
const PUBLISHER = 'zhao-min' // 赵敏
const GRID_WORKER = 'chen-xiuying' // 陈秀英, 西村一组

let d: SimDistrict
let server: Server
let base: string
let browser: Browser
let page: Page
/** A district notice waiting at the township; a notice of another village (东坝村). */
let code: string
let dongba: string

/** The newest one-time code a person's WeChat contact received after `since` DMs. */
async function codeFor(person: string, since: number): Promise<{ code: string; text: string }> {
  const m = await waitFor(`a sign-in code for ${person}`, () => d.world.dmsTo(personContactId(person)).slice(since).find(x => x.text.includes('验证码')))
  return { code: /验证码：(\d{6})/.exec(m.text)![1], text: m.text }
}

/** A page in a context of its own (its own cookies: one person each). */
async function newPage(): Promise<Page> {
  const c = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  return c.newPage()
}

const dmCount = (person: string) => d.world.dmsTo(personContactId(person)).length

/** Signs a person in through the pages (id or name typed in, the code from their WeChat). */
async function signInPerson(p: Page, who: string, person: string): Promise<string> {
  await p.goto(`${base}/cc/login`)
  const before = dmCount(person)
  await p.fill('form.person-login input[name=who]', who)
  await p.click('form.person-login button[type=submit]')
  await p.waitForSelector('form.code-login')
  const got = await codeFor(person, before)
  await p.fill('form.code-login input[name=code]', got.code)
  await p.click('form.code-login button[type=submit]')
  await p.waitForURL(/\/cc\/$/)
  return got.text
}

/** A signed-in cookie header for a person, over plain HTTP (for the stream and JSON checks). */
async function sessionOf(person: string): Promise<{ cookie: string; csrf: string }> {
  const login = await fetch(`${base}/cc/login`)
  const pre = /cc_pre=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]
  const form = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]
  const headers = { cookie: `cc_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }
  const before = dmCount(person)
  expect((await fetch(`${base}/cc/login/code`, { method: 'POST', headers, body: new URLSearchParams({ _csrf: form, who: person }) })).status).toBe(200)
  const { code: c } = await codeFor(person, before)
  const signed = await fetch(`${base}/cc/login/verify`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ _csrf: form, who: person, code: c }) })
  expect(signed.status).toBe(303)
  const cookie = `cc_sid=${/cc_sid=([^;]+)/.exec(signed.headers.getSetCookie().join('\n'))![1]}`
  const home = await (await fetch(`${base}/cc/`, { headers: { cookie } })).text()
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(home)![1] }
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium)`)
  mkdirSync(SHOTS, { recursive: true })
  d = await startDistrict()
  // Only the people these tests sign in (binding everyone would cost seconds).
  const signingIn = [TOWNSHIP_CURATOR, VILLAGE_CURATOR, 'sun-li', PUBLISHER, GRID_WORKER]
  for (const p of signingIn) await d.bind(p)
  await waitFor('the people bound', async () => (await Promise.all(signingIn.map(p => d.store.bindingsOf(p)))).every(b => Object.keys(b).length > 0))
  const http = createHttpApp({ app: d.app, token: TOKEN, log: silentLogger, scraper: createScraper(d.app), livePollMs: 200 })
  server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS })
  page = await newPage()
  code = (await d.app.publish({ node: 'chaotian', author: PUBLISHER, text: '人员测试：明早八点起中子镇、羊木镇全面消杀，请关好门窗', severity: 'normal' })).code
  dongba = (await d.app.publish({ node: OTHER_VILLAGE, author: 'ops-cli', text: '东坝村内部：明天下午村委会开会', severity: 'info' })).code
  await waitFor('the notice waiting at the township', async () => (await d.store.relay(code, TOWNSHIP))?.state === 'pending')
}, 90_000)

afterAll(async () => {
  await browser?.close()
  if (server) {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  await d?.close()
}, 60_000)

describe('the command centre per person', () => {
  it('a township curator signs in with a code sent to their WeChat, sees only their township and approves from the web', async () => {
    const started = performance.now()
    const chat = await signInPerson(page, '李红', TOWNSHIP_CURATOR)
    console.log(`sign-in as a person, code request → signed in (browser, simulated district): ${Math.round(performance.now() - started)} ms`)
    // The chat text says who is signing in, from where, and how to refuse.
    expect(chat).toContain('李红')
    expect(chat).toContain('127.0.0.1')
    expect(chat).toContain('不是您本人')
    expect(await page.locator('nav.top').textContent()).not.toContain('值守号')

    await page.goto(`${base}/cc/n/${code}`)
    expect(await page.locator(`#live [data-node="${TOWNSHIP}"]`).count()).toBe(1)
    expect(await page.locator('#live [data-node="yangmu"]').count()).toBe(0) // another township
    expect(await page.locator('#live [data-node="yangmu-qinggang"]').count()).toBe(0)
    for (const [vp, name] of [[{ width: 1280, height: 800 }, 'curator-1280'], [{ width: 390, height: 844 }, 'curator-390']] as const) {
      await page.setViewportSize(vp)
      await page.screenshot({ path: path.join(SHOTS, `${name}.png`), type: 'png' })
      if (process.env.CASCADE_SCREENSHOTS_TO_DOCS === '1') copyFileSync(path.join(SHOTS, `${name}.png`), path.join(DOC_SCREENS, `${name}.png`))
    }
    await page.setViewportSize({ width: 1280, height: 800 })

    await page.click('section.decide form.approve button[type=submit]')
    await page.waitForURL(new RegExp(`/cc/n/${code}$`))
    expect(await page.locator('.flash').textContent()).toContain(code)
    expect(await d.store.relay(code, TOWNSHIP)).toMatchObject({ state: 'approved', decidedBy: TOWNSHIP_CURATOR })
    // The villages get it: their relays open and their curators are asked, as after 通过 in chat.
    for (const village of d.app.children(TOWNSHIP)) await waitFor(`${village} asked`, async () => (await d.store.relay(code, village))?.state === 'pending')
    await waitFor('the village curator asked', () => d.world.dmsTo(personContactId(VILLAGE_CURATOR)).some(m => m.text.includes(code) && m.text.startsWith('【待审核】')))
    const approved = (await d.store.auditLog(code)).find(e => e.kind === 'approve' && e.node === TOWNSHIP)
    expect(approved).toMatchObject({ actor: TOWNSHIP_CURATOR, via: 'web' })
    await expect.poll(() => page.locator('#live li.ev-approve').first().textContent()).toMatch(/中子镇 · 李红 · 网页/)
  })

  it('a village curator sees nothing of another village: page, live stream, JSON and actions', async () => {
    const { cookie, csrf } = await sessionOf(VILLAGE_CURATOR)
    const get = (p: string) => fetch(`${base}${p}`, { headers: { cookie }, redirect: 'manual' })
    // Pages: the other village's notice is not found; the district's shows this village only.
    expect((await get(`/cc/n/${dongba}`)).status).toBe(404)
    const own = await (await get(`/cc/n/${code}`)).text()
    expect(own).toContain(`data-node="${VILLAGE}"`)
    expect(own).not.toContain(`data-node="${OTHER_VILLAGE}"`)
    expect((await (await get('/cc/')).text())).not.toContain(dongba)
    expect((await get('/cc/accounts')).status).toBe(404)
    // The live stream of the other village's notice is refused; the shared one carries this village only.
    expect((await get(`/cc/live?view=/cc/n/${dongba}`)).status).toBe(404)
    const ac = new AbortController()
    const stream = await fetch(`${base}/cc/live?view=/cc/n/${code}`, { headers: { cookie }, signal: ac.signal })
    const reader = stream.body!.getReader()
    let first = ''
    while (!first.includes('event: html')) first += new TextDecoder().decode((await reader.read()).value)
    while (!/event: html[^\n]*\n[^\n]*\n[^\n]*\n\n/.test(first)) first += new TextDecoder().decode((await reader.read()).value)
    ac.abort()
    expect(first).toContain(VILLAGE)
    expect(first).not.toContain(OTHER_VILLAGE)
    // JSON: the list leaves it out, the code is not found.
    const list = await (await get('/cc/api/announcements')).json() as { announcements: { code: string }[] }
    expect(list.announcements.map(a => a.code)).toContain(code)
    expect(list.announcements.map(a => a.code)).not.toContain(dongba)
    expect((await get(`/cc/api/announcements/${dongba}`)).status).toBe(404)
    // Acting on it: not found, nothing changed.
    const act = await fetch(`${base}/cc/n/${dongba}/approve`, { method: 'POST', redirect: 'manual', headers: { cookie, 'x-csrf-token': csrf } })
    expect(act.status).toBe(404)
    expect((await d.store.auditLog(dongba)).filter(e => e.actor === VILLAGE_CURATOR)).toHaveLength(0)
    const pendingElsewhere = await d.store.relay(code, OTHER_VILLAGE)
    expect(pendingElsewhere?.state).toBe('pending')
    const other = await fetch(`${base}/cc/n/${code}/approve`, { method: 'POST', redirect: 'manual', headers: { cookie, 'x-csrf-token': csrf } })
    expect(other.status).toBe(303) // their own node's decision, by the chat path: it approves 西村 only
    expect((await d.store.relay(code, VILLAGE))?.state).toBe('approved')
    expect((await d.store.relay(code, OTHER_VILLAGE))?.state).toBe('pending')
    // Unbound: the session ends at the next request.
    await new PeopleAdmin(d.store.redis, d.store.keys).unbind(VILLAGE_CURATOR)
    expect((await get('/cc/')).status).toBe(303)
  })

  it('refuses a wrong code, a replayed code, and too many code requests', async () => {
    const person = 'sun-li'
    const login = await fetch(`${base}/cc/login`)
    const pre = /cc_pre=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]
    const form = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]
    const headers = { cookie: `cc_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }
    const ask = () => fetch(`${base}/cc/login/code`, { method: 'POST', headers, body: new URLSearchParams({ _csrf: form, who: person }) })
    const verify = (c: string) => fetch(`${base}/cc/login/verify`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ _csrf: form, who: person, code: c }) })
    const before = dmCount(person)
    expect((await ask()).status).toBe(200)
    const { code: right } = await codeFor(person, before)
    const wrong = await verify(right === '000000' ? '000001' : '000000')
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('验证码不正确')
    expect((await verify(right)).status).toBe(303)
    const replay = await verify(right)
    expect(replay.status).toBe(401)
    expect(await replay.text()).toContain('已失效')
    // Three codes per person in 15 minutes: the fourth request makes none, and the page says the
    // same as ever (a different answer would tell who is in people.yaml).
    expect((await ask()).status).toBe(200)
    expect((await ask()).status).toBe(200)
    const codeKey = `${d.store.keys.base}cc:code:${person}`
    const third = await d.store.redis.hget(codeKey, 'h')
    expect((await ask()).status).toBe(200)
    expect(await d.store.redis.hget(codeKey, 'h')).toBe(third)
  })

  it('a grid worker sees their own grid; five wrong codes void a code; a person taken out of people.yaml is signed out', async () => {
    const { cookie } = await sessionOf(GRID_WORKER)
    const get = (p: string) => fetch(`${base}${p}`, { headers: { cookie }, redirect: 'manual' })
    const village = await get(`/cc/households/${code}/${VILLAGE}`)
    expect(village.status).toBe(200)
    const text = await village.text()
    expect(text).toContain('一组')
    expect(text).not.toContain('二组') // another worker's grid
    expect(text).not.toContain('未归户成员') // members not placed in a household: the village's staff only
    // The township curator sees that there are some, but their names only the village's own curators.
    await page.goto(`${base}/cc/households/${code}/${VILLAGE}`)
    expect(await page.locator('#live section.unassigned h2').textContent()).toMatch(/未归户成员（[1-9]\d*）/)
    expect(await page.locator('#live ul.names.unassigned').count()).toBe(0)
    expect((await get(`/cc/households/${code}/${OTHER_VILLAGE}`)).status).toBe(404)
    expect((await get(`/cc/n/${dongba}`)).status).toBe(404)
    expect((await get('/cc/publish')).status).toBe(404)
    // A code is void after five wrong tries, even for the right code afterwards.
    const person = 'sun-li'
    const login = await fetch(`${base}/cc/login`)
    const pre = /cc_pre=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]
    const form = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]
    const headers = { cookie: `cc_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }
    await d.store.redis.del(`${d.store.keys.base}cc:codes:${person}`) // the previous test used up this person's requests
    const before = dmCount(person)
    expect((await fetch(`${base}/cc/login/code`, { method: 'POST', headers, body: new URLSearchParams({ _csrf: form, who: '孙丽' }) })).status).toBe(200)
    const { code: right } = await codeFor(person, before)
    const wrongCode = right === '111111' ? '222222' : '111111'
    const tries = await Promise.all(Array.from({ length: 5 }, () => fetch(`${base}/cc/login/verify`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ _csrf: form, who: person, code: wrongCode }) })))
    expect(tries.map(t => t.status)).toEqual([401, 401, 401, 401, 401])
    expect((await fetch(`${base}/cc/login/verify`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ _csrf: form, who: person, code: right }) })).status).toBe(401)
    // Out of people.yaml (as a serve started with the new file sees it): the next request signs out.
    const entry = d.cfg.people.get(GRID_WORKER)!
    d.cfg.people.delete(GRID_WORKER)
    try {
      expect((await get('/cc/')).status).toBe(303)
    } finally {
      d.cfg.people.set(GRID_WORKER, entry)
    }
    expect((await get('/cc/')).status).toBe(303) // ended, not merely refused
  })

  it("a publisher's retraction from the web is audited by name and channel", async () => {
    const p = await newPage()
    try {
      // Signed in over HTTP (the page sign-in is the curator's test): the browser takes the session cookie.
      const { cookie } = await sessionOf(PUBLISHER)
      await p.context().addCookies([{ name: 'cc_sid', value: cookie.slice('cc_sid='.length), url: `${base}/cc/`, httpOnly: true, sameSite: 'Strict' }])
      await p.goto(`${base}/cc/n/${code}`)
      await p.click('details.action.danger > summary')
      await p.fill('form[action$="/retract"] input[name=reason]', '时间改期')
      await p.check('form[action$="/retract"] input[name=confirm]')
      await p.click('form[action$="/retract"] button[type=submit]')
      await p.waitForURL(new RegExp(`/cc/n/${code}$`))
      expect(await d.store.cancelledBy(code)).toMatch(/^[A-Z0-9]{4}$/)
      expect((await d.store.auditLog(code)).find(e => e.kind === 'cancel')).toMatchObject({ actor: PUBLISHER, via: 'web' })
      await expect.poll(() => p.locator('#live li.ev-cancel').first().textContent()).toMatch(/赵敏 · 网页.*撤回通知/)
    } finally {
      await p.context().close()
    }
  })

  it('an ops token session still sees everything; the labels say what happened', async () => {
    const p = await newPage()
    try {
      await p.goto(`${base}/cc/login`)
      await p.click('details.ops-login > summary')
      await p.fill('input[name=token]', TOKEN)
      await p.click('form.login button[type=submit]')
      await p.waitForURL(/\/cc\/$/)
      for (const c of [code, dongba]) expect(await p.locator(`#live li.notice[data-code="${c}"]`).count()).toBe(1)
      expect((await p.goto(`${base}/cc/accounts`))!.status()).toBe(200)
      expect((await p.goto(`${base}/cc/people`))!.status()).toBe(200)
      expect(await p.locator('table.people.bound').textContent()).toContain('李红')
      // A reminder by policy is not an auto-forward; a correction's `by` is not a retraction.
      await d.store.audit(dongba, { kind: 'reminder', node: OTHER_VILLAGE, actor: 'policy', at: Date.now() })
      await d.store.audit(dongba, { kind: 'pending-text-updated', node: OTHER_VILLAGE, actor: PUBLISHER, at: Date.now(), by: 'ZZ99', before: 'a', after: 'b' })
      await p.goto(`${base}/cc/n/${dongba}`)
      expect(await p.locator('#live li.ev-reminder').textContent()).toContain('系统（按规则）')
      expect(await p.locator('#live li.ev-reminder').textContent()).not.toContain('自动转发')
      const updated = await p.locator('#live li.ev-pending-text-updated').textContent()
      expect(updated).toContain('更正 ZZ99')
      expect(updated).not.toContain('撤回')
      // The API's list (the token): filtered by state and date.
      const api = (q: string) => fetch(`${base}/api/announcements${q}`, { headers: { authorization: `Bearer ${TOKEN}` } })
      const retracted = await (await api('?state=retracted')).json() as { announcements: { code: string; state: string }[] }
      expect(retracted.announcements.map(a => a.code)).toEqual([code])
      expect((await (await api(`?since=${new Date(Date.now() + 60_000).toISOString()}`)).json() as { announcements: unknown[] }).announcements).toHaveLength(0)
      expect((await api('?state=gone')).status).toBe(400)
      await p.goto(`${base}/cc/households/${code}/${VILLAGE}`)
      expect(await p.locator('#live ul.names.unassigned li').count()).toBeGreaterThan(0)
      await p.goto(`${base}/cc/n/${code}`)
      expect(await p.locator('#live [data-node="yangmu"]').count()).toBe(1)
      expect(await p.locator('#live').innerHTML()).not.toMatch(/·\s*<\/(span|li)>/) // no dangling 「·」
    } finally {
      await p.context().close()
    }
  })
})
