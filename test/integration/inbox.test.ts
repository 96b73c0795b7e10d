/**
 * The district's inbox on real Redis: a local feed server (RSS and Atom) with new, changed and
 * repeated items, POST /api/inbox, chat (待选 / 选用 / 不用 / 收录) and the command centre. Only
 * the items a publisher selects ever become notices.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compose, type Composed } from '../../src/app/compose.ts'
import { inboxOf, type Inbox } from '../../src/features/inbox/inbox.ts'
import { seriesOf } from '../../src/features/series/series.ts'
import { pollFeed } from '../../src/features/inbox/feeds.ts'
import { WEB_AUTHOR, type Inbound } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { REDIS_URL } from '../helpers.ts'
import { FORM, signIn, startHttp, TOKEN, type Running } from './http-helpers.ts'
import { configWithSeries } from './series-helpers.ts'

const rss = (items: [string, string, string][]) => `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>四川省卫生健康委员会</title><link>http://example.test/</link><description>通知公告</description>
${items.map(([guid, title, desc]) => `<item><guid>${guid}</guid><title>${title}</title><link>http://example.test/${guid}.html</link><description><![CDATA[<p>${desc}</p>]]></description></item>`).join('\n')}
</channel></rss>`
const atom = (entries: [string, string, string][]) => `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>广元市人民政府</title><id>urn:gy</id><updated>2026-12-01T00:00:00Z</updated>
${entries.map(([id, title, summary]) => `<entry><id>${id}</id><title>${title}</title><updated>2026-12-01T00:00:00Z</updated><summary>${summary}</summary></entry>`).join('\n')}
</feed>`

const feeds: Record<string, string> = {}
let server: http.Server
let c: Composed
let inbox: Inbox
let web: Running
let base = ''
let msgs = 0
let notModified = 0

async function say(person: string, text: string): Promise<string> {
  const msg: Inbound = { bot: 'bot-district', contactId: `wx_${person}`, contactName: person, text, messageId: `m${++msgs}` }
  return (await c.app.handleInbound(msg)).join('\n')
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const body = feeds[req.url ?? '']
    if (!body) { res.writeHead(404).end(); return }
    const etag = `"${body.length}-${[...body].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) >>> 0, 7)}"`
    if (req.headers['if-none-match'] === etag) { notModified++; res.writeHead(304).end(); return }
    res.writeHead(200, { etag, 'content-type': req.url!.endsWith('atom') ? 'application/atom+xml' : 'application/rss+xml' }).end(body)
  })
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const cfg = await configWithSeries(`series:\n  - { id: C1, title: 每周值班表, schedule: "每周一 08:00", publisher: zhao-min, category: 防疫, typed: true }\nfeeds:\n  - { id: sc-wsjkw, url: "${base}/rss", everyMinutes: 10 }\n  - { id: gy-gov, url: "${base}/atom" }\n`)
  c = compose({ cfg, redisUrl: REDIS_URL, ns: `test-inbox-${Date.now().toString(36)}` })
  inbox = inboxOf(c.app)!
  web = await startHttp({ app: c.app } as SimDistrict)
  for (const person of ['zhao-min', 'li-hong']) await say(person, await c.app.createInvite(person))
})

afterAll(async () => {
  await web?.close()
  server?.close()
  await c.app.timers.queue.obliterate({ force: true })
  await c.app.store.clearNamespace()
  await c.close()
})

describe('the inbox', () => {
  it('takes feed items once: new, changed and repeated; the same text from another source is one item', async () => {
    const gov = c.app.cfg.series!.feeds.find(f => f.id === 'sc-wsjkw')!
    const city = c.app.cfg.series!.feeds.find(f => f.id === 'gy-gov')!
    feeds['/rss'] = rss([['a1', '关于做好冬春季疫情防控工作的通知', '各地要加强重点场所管理。'], ['a2', '疫苗接种安排', '12月起在各乡镇卫生院接种。'], ['a3', '返乡人员健康管理', '返乡前三天主动报备。']])
    expect(await pollFeed(inbox, gov)).toEqual({ new: 3, changed: 0, duplicate: 0 })
    // Polled again unchanged: the server answers 304 (conditional GET), nothing is read.
    expect(await pollFeed(inbox, gov)).toEqual({ new: 0, changed: 0, duplicate: 0 })
    expect(notModified).toBe(1)
    await c.app.store.redis.del(`${c.app.store.keys.base}inbox:feed:sc-wsjkw`)
    expect(await pollFeed(inbox, gov)).toEqual({ new: 0, changed: 0, duplicate: 3 })
    feeds['/rss'] = rss([['a1', '关于做好冬春季疫情防控工作的通知', '各地要加强重点场所管理。'], ['a2', '疫苗接种安排（更新）', '12月起在各乡镇卫生院接种，周末不休。'], ['a4', '寒潮预警', '本周末有寒潮，注意保暖。']])
    expect(await pollFeed(inbox, gov)).toEqual({ new: 1, changed: 1, duplicate: 1 })
    feeds['/atom'] = atom([['urn:gy:1', '寒潮预警', '本周末有寒潮，注意保暖。'], ['urn:gy:2', '广元市发布冬季用电安全提示', '不要私拉乱接电线。']])
    expect(await pollFeed(inbox, city)).toEqual({ new: 1, changed: 0, duplicate: 1 })
    const waiting = await inbox.list()
    expect(waiting.map(i => i.title)).toEqual(['广元市发布冬季用电安全提示', '寒潮预警', '返乡人员健康管理', '疫苗接种安排（更新）', '关于做好冬春季疫情防控工作的通知'])
    expect(waiting.find(i => i.id === 'I2')).toMatchObject({ changes: 1, text: '12月起在各乡镇卫生院接种，周末不休。', link: `http://example.test/a2.html` })
    // A feed that does not answer is logged and tried again at the next poll.
    expect(await pollFeed(inbox, { id: 'down', url: `${base}/missing`, everyMinutes: 5 })).toBeUndefined()
    // Each feed has its job scheduler (every N minutes) once timers run.
    c.app.timers.start()
    await expect.poll(async () => (await c.app.timers.queue.getJobScheduler('inbox-feed-sc-wsjkw'))?.every).toBe(10 * 60_000)
    expect((await c.app.timers.queue.getJobScheduler('inbox-feed-gy-gov'))?.every).toBe(30 * 60_000)
    // Nothing from a feed is posted by itself.
    expect(await c.app.store.recentCodes(10)).toEqual([])
  })

  it('takes items from other systems (POST /api/inbox) with the token, de-duplicated by their id', async () => {
    const post = (body: unknown, token = TOKEN) => fetch(`${web.url}/api/inbox`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
    const first = await post({ id: 'hz-88', source: 'hz', title: '核酸检测点调整', text: '即日起县医院检测点改到门诊楼东侧。' })
    expect(first.status).toBe(201)
    const id = (await first.json()).id
    const again = await post({ id: 'hz-88', source: 'hz', title: '核酸检测点调整', text: '即日起县医院检测点改到门诊楼东侧。' })
    expect(await again.json()).toMatchObject({ id, outcome: 'duplicate' })
    expect((await post({ text: 42 })).status).toBe(400)
    expect((await post({ text: 'x' }, 'wrong-token-wrong-token-wrong')).status).toBe(401)
  })

  it('lets a publisher select (classify, edit, publish) or dismiss in chat; only what is selected is posted', async () => {
    const list = await say('zhao-min', '待选')
    expect(list).toContain('I5（gy-gov）广元市发布冬季用电安全提示')
    expect(list).toContain('I2（sc-wsjkw，已更新）')
    expect(await say('li-hong', '待选')).toMatch(/发布员|发布/)
    expect(await say('zhao-min', '不用 I1')).toContain('I1 已标为不用')
    const published = await say('zhao-min', '选用 I4 防疫 本周末有寒潮，请各村提醒独居老人注意保暖。')
    const code = /编号 ([A-Z0-9]{4})/.exec(published)![1]
    expect(await say('zhao-min', '选用 I4')).toContain('已处理')
    expect(await say('zhao-min', '选用 I1')).toContain('不用')
    expect(await say('zhao-min', '收录 县里通知：明天上午停水。')).toMatch(/已收入待选，编号 I\d+/)
    const a = (await c.app.store.announcement(code))!
    expect(a).toMatchObject({ category: '防疫', text: '本周末有寒潮，请各村提醒独居老人注意保暖。', author: 'zhao-min', originNode: 'chaotian' })
    expect(await c.app.store.recentCodes(10)).toEqual([code])
    expect((await c.app.store.auditLog(code)).some(e => e.kind === 'from-inbox' && e.item === 'I4')).toBe(true)
  })

  it('shows the inbox and the series in the command centre; selecting there publishes', async () => {
    const s = await signIn(web.url)
    const page = await (await fetch(`${web.url}/cc/inbox`, { headers: { cookie: s.cookie } })).text()
    expect(page).toContain('I5 广元市发布冬季用电安全提示')
    expect(page).not.toContain('<h2>I4 ')
    const res = await fetch(`${web.url}/cc/inbox/I5/select`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie: s.cookie }, body: new URLSearchParams({ _csrf: s.csrf, category: '生活保障', severity: 'info', text: '' }) })
    expect(res.status).toBe(303)
    const code = /\/cc\/n\/([A-Z0-9]{4})/.exec(res.headers.get('location') ?? '')![1]
    expect(await c.app.store.announcement(code)).toMatchObject({ category: '生活保障', severity: 'info' })
    expect((await inbox.item('I5'))!.state).toBe('published')
    // A series made here is checked like series.yaml: a bad schedule is refused with the reason.
    const make = (schedule: string) => fetch(`${web.url}/cc/series`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie: s.cookie }, body: new URLSearchParams({ _csrf: s.csrf, id: 'S7', title: '每周用电提示', schedule, kind: 'list', text: '不要私拉电线。\n---\n人走断电。' }) })
    await make('每天 25:00')
    expect(await (await fetch(`${web.url}/cc/series`, { headers: { cookie: s.cookie } })).text()).toContain('no such time of day')
    await make('每周一 09:00')
    const series = await (await fetch(`${web.url}/cc/series`, { headers: { cookie: s.cookie } })).text()
    expect(series).toContain('S7 每周用电提示')
    expect(await c.app.timers.queue.getJobScheduler('series-S7')).toMatchObject({ pattern: '0 9 * * 1', tz: 'Asia/Shanghai' })
  })

  it('deletes a series made in the command centre (ticked to confirm): its scheduler goes, the deletion is logged, nothing is inherited', async () => {
    const s = await signIn(web.url)
    const send = (path: string, fields: Record<string, string>) => fetch(`${web.url}/cc/series${path}`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie: s.cookie }, body: new URLSearchParams({ _csrf: s.csrf, ...fields }) })
    const page = async () => (await fetch(`${web.url}/cc/series`, { headers: { cookie: s.cookie } })).text()
    const make = () => send('', { id: 'S8', title: '防火提示', schedule: '每天 18:00', kind: 'list', text: '出门关火。\n---\n不要在屋里烧炭。' })
    expect((await make()).status).toBe(303)
    const e = seriesOf(c.app)!
    await e.st.takeItem('S8') // one item used
    expect(await page()).toContain('action="/cc/series/S8/delete"')
    // Not ticked: kept.
    expect((await send('/S8/delete', {})).status).toBe(303)
    expect(await page()).toContain('请先勾选「确认删除」')
    expect(await c.app.timers.queue.getJobScheduler('series-S8')).toBeDefined()
    // Ticked: gone, with its scheduler and its next job; logged with who.
    expect((await send('/S8/delete', { confirm: 'yes' })).status).toBe(303)
    const after = await page()
    expect(after).toContain('已删除系列 S8')
    expect(after).not.toContain('S8 防火提示')
    expect(await e.def('S8')).toBeUndefined()
    expect(await c.app.timers.queue.getJobScheduler('series-S8')).toBeUndefined()
    expect((await c.app.timers.queue.getDelayed()).filter(j => j.data.data?.series === 'S8')).toHaveLength(0)
    expect((await e.st.logOf('S8')).map(l => [l.kind, l.by])).toEqual([['saved', WEB_AUTHOR], ['deleted', WEB_AUTHOR]])
    expect((await send('/S8/delete', { confirm: 'yes' })).status).toBe(404)
    // Made again under the same id, it starts from its first item.
    await make()
    expect(await e.st.itemsUsed('S8')).toBe(0)
    // A series of config/series.yaml has no delete button, says why, and is not deleted.
    expect(after).toContain('此系列由 config/series.yaml 配置，不能在网页上删除')
    expect(after).not.toContain('action="/cc/series/C1/delete"')
    await send('/C1/delete', { confirm: 'yes' })
    expect(await page()).toContain('系列 C1 由 config/series.yaml 配置，不能在网页上删除')
    expect((await e.def('C1'))?.from).toBe('config')
  })
})
