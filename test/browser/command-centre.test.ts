/**
 * The command centre in a real browser: Debian's chromium (never downloaded) driven by
 * playwright-core, against the demo district simulated on the mock puppet (its own Redis
 * namespace, removed afterwards). No chromium means failure, not a skip: `.ci/run` installs it.
 * Screenshots of every view (desktop 1280×800, phone 390×844) go to artifacts/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotHealth } from '../../src/infra/bot-health.ts'
import { createHttpApp } from '../../src/web/api.ts'
import type { Logger } from '../../src/infra/log.ts'
import { createScraper } from '../../src/infra/metrics-scrape.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { dm, publicTopics, ROOT, startDistrict, waitFor } from '../helpers.ts'

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
const SHOTS = path.join(ROOT, 'artifacts', 'screenshots')
const TOKEN = 'cc-test-token-51d2'
const TEXT = '浏览器测试：今晚二十点起中子镇停水，请提前储水'
const DESKTOP = { width: 1280, height: 800 }
const PHONE = { width: 390, height: 844 }

/** Logs kept in memory, to check that no notice text or name reaches them. */
function memoryLogger(lines: string[]): Logger {
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => { lines.push(JSON.stringify({ level, event, ...fields }, (_k, v: unknown) => v instanceof Error ? v.message : v)) }
  const l: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => l }
  return l
}

let d: SimDistrict
let server: Server
let base: string
let ctx: BrowserContext
let page: Page
let userDir: string
let code: string
const logs: string[] = []
const urls: string[] = []

async function shot(p: Page, name: string): Promise<void> {
  for (const [size, vp] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await p.setViewportSize(vp)
    await p.screenshot({ path: path.join(SHOTS, `${name}-${size}.png`) })
  }
  await p.setViewportSize(DESKTOP)
}

async function signIn(p: Page, token: string): Promise<void> {
  await p.goto(`${base}/cc/`)
  await p.waitForURL(/\/cc\/login$/)
  // Ops sign in with the token (folded under the people's one-time-code form).
  if (!await p.locator('details.ops-login').evaluate(e => (e as HTMLDetailsElement).open)) await p.click('details.ops-login > summary')
  await p.fill('input[name=token]', token)
  await p.click('form.login button[type=submit]')
}

/** The state of a node in the tree as the page shows it. */
const stateOf = (p: Page, node: string) => p.locator(`#live [data-node="${node}"]`).first().getAttribute('data-state')

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium; .ci/run does). These tests fail rather than skip without it.`)
  }
  mkdirSync(SHOTS, { recursive: true })
  d = await startDistrict()
  await d.bindEveryone()
  const http = createHttpApp({ app: d.app, token: TOKEN, log: memoryLogger(logs), scraper: createScraper(d.app), livePollMs: 200 })
  server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  userDir = mkdtempSync(path.join(os.tmpdir(), 'cc-chromium-'))
  ctx = await chromium.launchPersistentContext(userDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport: DESKTOP, locale: 'zh-CN', timezoneId: 'Asia/Shanghai',
  })
  ctx.on('request', r => urls.push(r.url()))
  page = ctx.pages()[0] ?? await ctx.newPage()
}, 90_000)

afterAll(async () => {
  await ctx?.close()
  if (userDir) rmSync(userDir, { recursive: true, force: true })
  if (server) {
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }
  await d?.close()
}, 60_000)

describe('command centre in chromium', () => {
  it('refuses a wrong token and nothing is shown without a session', async () => {
    expect((await fetch(`${base}/cc/`, { redirect: 'manual' })).status).toBe(303)
    expect((await fetch(`${base}/cc/live?view=/cc/`)).status).toBe(401)
    await signIn(page, 'not-the-token')
    await expect.poll(() => page.locator('.problem').textContent()).toContain('令牌不正确')
    expect((await ctx.cookies()).find(c => c.name === 'cc_sid')).toBeUndefined()
    await shot(page, 'login')
  })

  it('signs in with the token: an HttpOnly, SameSite=Strict session cookie that expires', async () => {
    await signIn(page, TOKEN)
    await page.waitForURL(/\/cc\/$/)
    const sid = (await ctx.cookies()).find(c => c.name === 'cc_sid')!
    expect(sid).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/cc' })
    expect(sid.expires * 1000).toBeGreaterThan(Date.now())
    expect(sid.expires * 1000).toBeLessThan(Date.now() + 8.1 * 3600_000)
    await expect.poll(() => page.evaluate(() => document.body.dataset.live)).toBe('on')
  })

  it('publishes from the form, then the tree turns from pending to approved as curators answer, without a reload', async () => {
    await page.goto(`${base}/cc/publish`)
    await shot(page, 'publish')
    // The form's validation: an empty text is refused by the server as by the API.
    await page.evaluate(() => { (document.querySelector('textarea[name=text]') as HTMLTextAreaElement).removeAttribute('required') })
    await page.click('form.publish button[type=submit]')
    await expect.poll(() => page.locator('.problem').textContent()).toContain('请填写正文')
    await page.fill('textarea[name=text]', TEXT)
    await page.selectOption('select[name=severity]', 'normal')
    await page.click('form.publish button[type=submit]')
    await page.waitForURL(/\/cc\/n\/[A-Z0-9]{4}$/)
    code = page.url().slice(-4)
    expect(await page.locator('.flash').textContent()).toContain(`已发布：${code}`)
    expect(await d.store.announcement(code)).toMatchObject({ author: 'ops-web', severity: 'normal', text: TEXT })
    await expect.poll(() => stateOf(page, 'zhongzi')).toBe('pending')
    await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42 })

    // A simulated curator answers in chat; the page follows by itself.
    const curator = d.cfg.nodes.get('zhongzi')!.curators[0]
    expect(await dm(d, curator, `通过 ${code}`)).toContain(code)
    await expect.poll(() => stateOf(page, 'zhongzi'), { timeout: 15_000 }).toBe('approved')

    // Open the township: its villages are there, pending; one village curator edits, and the page shows it with the township still open.
    await page.click('#live details[data-node="zhongzi"] > summary')
    const village = page.locator('#live [data-node="zhongzi-xicun"]')
    await expect.poll(() => village.isVisible()).toBe(true)
    await expect.poll(() => stateOf(page, 'zhongzi-xicun')).toBe('pending')
    const villageCurator = d.cfg.nodes.get('zhongzi-xicun')!.curators[0]
    await dm(d, villageCurator, `修改 ${code} ${TEXT.replace('提前储水', '提前储水，老人家中请网格员上门告知')}`)
    await expect.poll(() => stateOf(page, 'zhongzi-xicun'), { timeout: 15_000 }).toBe('edited')
    expect(await page.locator('#live details[data-node="zhongzi"]').evaluate(e => (e as HTMLDetailsElement).open)).toBe(true)
    expect(await page.locator('#live .texts ins').first().textContent()).toContain('网格员上门')
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(42) // never reloaded
    await d.idle()
    await expect.poll(() => page.locator('#live .bar.groups .bar-num').textContent(), { timeout: 15_000 }).toMatch(/^[1-9]\d*\/\d+$/)
    await shot(page, 'notice')
  })

  it('shows a lost connection and reconnects', async () => {
    server.closeAllConnections()
    await expect.poll(() => page.evaluate(() => document.body.dataset.live), { timeout: 15_000 }).toBe('lost')
    expect(await page.locator('#conn').isVisible()).toBe(true)
    await expect.poll(() => page.evaluate(() => document.body.dataset.live), { timeout: 15_000 }).toBe('on')
    expect(await page.locator('#conn').isVisible()).toBe(false)
  })

  it('refuses a POST without the CSRF token, or from another origin', async () => {
    const status = await page.evaluate(async c => (await fetch(`/cc/n/${c}/retract`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'reason=x&confirm=yes' })).status, code)
    expect(status).toBe(403)
    const csrf = await page.locator('input[name=_csrf]').first().inputValue()
    const cookie = (await ctx.cookies()).filter(c => c.name === 'cc_sid').map(c => `${c.name}=${c.value}`).join('; ')
    const foreign = await fetch(`${base}/cc/n/${code}/retract`, {
      method: 'POST', redirect: 'manual',
      headers: { cookie, origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, reason: 'x', confirm: 'yes' }),
    })
    expect(foreign.status).toBe(403)
    // With the token but without the confirmation box: nothing happens either.
    const unconfirmed = await page.evaluate(async ([c, t]) => {
      const r = await fetch(`/cc/n/${c}/retract`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(t)}&reason=x` })
      return { url: r.url, page: await r.text() }
    }, [code, csrf] as const)
    expect(unconfirmed.url).toContain(`/cc/n/${code}`)
    expect(unconfirmed.page).toContain('请勾选确认')
    expect(await d.store.cancelledBy(code)).toBeUndefined()
  })

  it('retracts with confirmation, and the retraction shows everywhere', async () => {
    const phone = await ctx.newPage()
    await phone.setViewportSize(PHONE)
    await phone.goto(`${base}/cc/`)
    const row = phone.locator(`#live li.notice[data-code="${code}"]`)
    await expect.poll(() => row.getAttribute('class')).toContain('cs-live')
    await phone.evaluate(() => { (window as unknown as { marker: number }).marker = 7 })

    await page.click('details.action.danger > summary')
    await page.fill('form[action$="/retract"] input[name=reason]', '时间有误')
    await page.check('form[action$="/retract"] input[name=confirm]')
    await page.click('form[action$="/retract"] button[type=submit]')
    await page.waitForURL(new RegExp(`/cc/n/${code}$`))
    expect(await page.locator('.flash').textContent()).toContain(code)
    expect(await d.store.cancelledBy(code)).toMatch(/^[A-Z0-9]{4}$/)
    await expect.poll(() => page.locator('#live h1 .badge').textContent()).toBe('已撤回')
    // Pending relays are withdrawn in the tree; the other page (phone, Now) follows without reload.
    await expect.poll(() => stateOf(page, 'yangmu'), { timeout: 15_000 }).toBe('withdrawn')
    await expect.poll(() => row.getAttribute('class'), { timeout: 15_000 }).toContain('cs-retracted')
    expect(await phone.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(7)
    expect(await page.locator('section.actions').textContent()).toContain('已撤回')
    // And in chat: every group that had the notice got the retraction.
    await d.idle()
    for (const topic of publicTopics(d, 'chaotian')) expect(d.world.postsIn(topic, '撤回').length, topic).toBeGreaterThan(0)
    await phone.close()
  })

  it('shows every view on desktop and phone; tipsters stay private; the QR code of a logged-out account', async () => {
    // Something to show: a correction-free notice with acknowledgments, a help request and a tip.
    const a = await d.app.publish({ node: 'zhongzi-xicun', author: 'ops-web', text: '入户测试：明日上午九点疫苗接种', severity: 'normal' })
    await d.idle()
    const [topic] = publicTopics(d, 'zhongzi-xicun')
    const villagers = d.world.villagersOf(topic)
    d.world.sayInGroup(villagers[0], topic, '收到')
    await waitFor('an acknowledgment', async () => (await d.store.acks(a.code)).size > 0)
    expect(await dm(d, 'chen-xiuying', `已通知 ${a.code} 张国富户`)).toContain('张国富户')
    d.world.sayInGroup(villagers[1], topic, '举报 村口有人倾倒建筑垃圾')
    d.world.sayInGroup(villagers[2], topic, '求助 家里老人行动不便需要送药')
    const desk = (await import('../../src/features/cases/cases.ts')).casesOf(d.app)!
    await waitFor('two cases', async () => (await desk.store.all()).length >= 2)
    const reporterNames = (await desk.store.all()).map(c => c.reporter.name)

    await d.runtimes.get('bot-south')!.wechaty.logout()
    await new BotHealth(d.store).recordQr('bot-south', 'https://login.weixin.qq.com/l/cc-test', 2, Date.now())

    await page.goto(`${base}/cc/`)
    await expect.poll(() => page.locator(`#live li.notice[data-code="${a.code}"]`).count()).toBe(1)
    await shot(page, 'now')
    await page.goto(`${base}/cc/households`)
    await page.click(`a[href="/cc/households/${a.code}"]`)
    await shot(page, 'households')
    await page.click(`a[href="/cc/households/${a.code}/zhongzi-xicun"]`)
    await expect.poll(() => page.locator('section.grid').count()).toBeGreaterThan(0)
    expect(await page.locator('section.grid ul.notified').first().textContent()).toContain('张国富户')
    expect(await page.locator('section.grid ul.missing').first().textContent()).not.toContain('张国富户')
    await shot(page, 'households-village')
    await page.goto(`${base}/cc/cases`)
    await expect.poll(() => page.locator('#live tr.case').count()).toBeGreaterThanOrEqual(2)
    const casesText = await page.locator('#live').textContent()
    for (const name of reporterNames) expect(casesText).not.toContain(name)
    await shot(page, 'cases')
    // A page per case, its code a link; the reporter is not on it either.
    await page.click('#live tr.case td a')
    await page.waitForURL(/\/cc\/c\/[A-Z0-9]+$/)
    expect(await page.locator('#live h1').textContent()).toContain('诉求')
    for (const name of reporterNames) expect(await page.locator('#live').textContent()).not.toContain(name)
    await page.goto(`${base}/cc/rumors`)
    await shot(page, 'rumors')
    await page.goto(`${base}/cc/accounts`)
    const qr = page.locator('li.account[data-bot="bot-south"] figure.qr img')
    await expect.poll(() => qr.evaluate(img => (img as HTMLImageElement).naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0)
    expect(await page.locator('li.account[data-bot="bot-south"] .why-offline').textContent()).toContain('扫码')
    await shot(page, 'accounts')
    // A notice whose posts wait on the offline account (白水村 has no other) says so, and why.
    const waiting = await d.app.publish({ node: 'zengjia-baishui', author: 'ops-web', text: '离线测试：明天上午停电检修', severity: 'normal' })
    await page.goto(`${base}/cc/n/${waiting.code}`)
    await expect.poll(() => page.locator('#live [data-node="zengjia-baishui"] .waiting-offline').first().textContent()).toContain(`${d.cfg.bots.get('bot-south')!.name} 离线（等待扫码登录`)
  })

  it('ends the session on sign-out and when it expires', async () => {
    const http = createHttpApp({ app: d.app, token: TOKEN, log: memoryLogger(logs), scraper: createScraper(d.app), sessionSeconds: 1 })
    const short = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
    const url = `http://127.0.0.1:${(short.address() as AddressInfo).port}`
    try {
      const login = await fetch(`${url}/cc/login`)
      const pre = /cc_pre=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]
      const signed = await fetch(`${url}/cc/login`, { method: 'POST', redirect: 'manual', headers: { cookie: `cc_pre=${pre}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, token: TOKEN }) })
      expect(signed.status).toBe(303)
      const sid = /cc_sid=([^;]+)/.exec(signed.headers.getSetCookie().join('\n'))![1]
      expect((await fetch(`${url}/cc/accounts`, { headers: { cookie: `cc_sid=${sid}` }, redirect: 'manual' })).status).toBe(200)
      await new Promise(r => setTimeout(r, 1600))
      expect((await fetch(`${url}/cc/accounts`, { headers: { cookie: `cc_sid=${sid}` }, redirect: 'manual' })).status).toBe(303)
    } finally {
      short.closeAllConnections()
      await new Promise<void>(resolve => short.close(() => resolve()))
    }
    // Sign-out in the browser: the page goes to sign-in.
    await page.goto(`${base}/cc/`)
    await page.click('nav.top .logout button')
    await page.waitForURL(/\/cc\/login$/)
    await page.goto(`${base}/cc/accounts`)
    await page.waitForURL(/\/cc\/login$/)
  })

  it('keeps notice texts and household names out of URLs and logs', async () => {
    const households = [...(d.cfg.households?.villages.values() ?? [])].flatMap(v => v.grids.flatMap(g => g.households.map(h => h.name)))
    expect(households.length).toBeGreaterThan(0)
    const secrets = [TEXT, '停水', '时间有误', '疫苗接种', ...households]
    for (const u of urls) for (const s of secrets) expect(decodeURIComponent(u), u).not.toContain(s)
    expect(logs.length).toBeGreaterThan(0)
    for (const line of logs) for (const s of secrets) expect(line).not.toContain(s)
  })
})
