/**
 * Issue 23, item 6: a notice, correction or reason of only zero-width characters (or only label
 * words) is refused by chat, API, command centre and CLI alike; a 200,000-character nickname is
 * stored cut to 64 characters.
 *
 * Text that could stall or forge: a lone surrogate never reaches Redis (the relay can still be
 * decided); an edit cannot forge a post's footer or labels and is credited to the editing node;
 * errors are logged without what the library hung on them (command arguments, requests).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { displayName, MAX_DISPLAY_NAME_CHARS, wellFormed } from '../../src/domain/text.ts'
import { cancel, correct } from '../../src/features/curation/curation.ts'
import { RebindRecords } from '../../src/store/rebind.ts'
import { publishProblems } from '../../src/web/shared.ts'
import { FORM, signIn, startHttp, TOKEN } from './http-helpers.ts'
import { errorLine } from '../../src/infra/log.ts'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { dm, publicTopics, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close(); d = undefined as unknown as SimDistrict })

const INVISIBLE = '\u200b\u200c\u200d\u2060\ufeff\u202e\u3164'

describe('texts at the edges', () => {
  it('refuses a notice of only zero-width characters everywhere: chat, API, command centre, CLI (issue 23, item 6)', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const publisher = [...d.app.cfg.people.values()].find(p => d.app.rolesOf(p.id).publisher.includes('chaotian'))!.id
    for (const text of [`发布 ${INVISIBLE}`, `发布 紧急 ${INVISIBLE}`, `演练 ${INVISIBLE}`, '发布 【紧急通知】']) {
      expect(await dm(d, publisher, text), text).toContain('格式不太对')
    }
    expect(await d.store.recentCodes(5)).toEqual([])
    await expect(d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: INVISIBLE })).rejects.toThrow(/empty/)
    expect(publishProblems(d.app, { node: 'chaotian', text: INVISIBLE })).toEqual([expect.stringMatching(/^text:/)])
    expect(publishProblems(d.app, { node: 'chaotian', text: `【紧急通知】${INVISIBLE}` })).toEqual([expect.stringMatching(/^text:/)])
    const run = await startHttp(d)
    try {
      const api = await fetch(`${run.url}/api/announcements`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ node: 'chaotian', text: INVISIBLE }) })
      expect(api.status).toBe(400)
      const s = await signIn(run.url)
      const web = await fetch(`${run.url}/cc/publish`, { method: 'POST', headers: { ...FORM, cookie: s.cookie }, body: new URLSearchParams({ _csrf: s.csrf, node: 'chaotian', text: INVISIBLE }) })
      expect(web.status).toBe(400)
      expect(await web.text()).toContain('请填写正文')
      // A real notice; its correction and retraction reason may not be invisible either.
      const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '明天停水' })
      for (const [action, field] of [['correct', 'text'], ['retract', 'reason']]) {
        await fetch(`${run.url}/cc/n/${a.code}/${action}`, { method: 'POST', redirect: 'manual', headers: { ...FORM, cookie: s.cookie }, body: new URLSearchParams({ _csrf: s.csrf, confirm: 'yes', [field]: INVISIBLE }) })
      }
      expect(await dm(d, publisher, `更正 ${a.code} ${INVISIBLE}`)).toContain('格式不太对')
      expect(await dm(d, publisher, `撤回 ${a.code} ${INVISIBLE}`)).toContain('格式不太对')
      expect((await correct(d.app, CLI_AUTHOR, a.code, INVISIBLE)).why).toBe('blank')
      expect((await cancel(d.app, CLI_AUTHOR, a.code, INVISIBLE)).why).toBe('blank')
      expect(await d.store.corrections(a.code)).toEqual([])
      expect(await d.store.cancelledBy(a.code)).toBeFalsy()
      expect(await d.store.recentCodes(5)).toEqual([a.code])
    } finally {
      await run.close()
    }
  })

  it('stores a 200,000-character nickname cut to 64 characters (issue 23, item 6)', async () => {
    d = await startDistrict()
    const a = await d.app.publish({ node: 'zhongzi-xicun', author: CLI_AUTHOR, text: '明天停水' })
    const topic = publicTopics(d, 'zhongzi-xicun')[0]
    const huge = '李'.repeat(200_000)
    await waitFor('posted', () => d.world.postsIn(topic, a.code).length === 1 ? true : undefined, 20_000)
    const bot = (await d.store.delivery(a.code, topic))!.bot
    await d.app.handleInbound({ bot, contactId: 'wxid_long_name', contactName: huge, topic, text: '收到', messageId: 'm-long-name' })
    const acks = await d.store.acks(a.code)
    expect(acks.get('wxid_long_name')?.name).toBe('李'.repeat(MAX_DISPLAY_NAME_CHARS))
    await new RebindRecords(d.store).recordNickname('bot-north', 'li-hong', '😀'.repeat(100))
    expect((await new RebindRecords(d.store).nicknames('bot-north')).get('li-hong')).toBe('😀'.repeat(MAX_DISPLAY_NAME_CHARS))
    expect(displayName('a\uD83D'.repeat(40))).toHaveLength(MAX_DISPLAY_NAME_CHARS)
  })

  it('a lone surrogate (a cut emoji) becomes U+FFFD; a relay of such a notice is still decided', async () => {
    expect(wellFormed('防汛\uD83D预警\uDE00😀')).toBe('防汛\uFFFD预警\uFFFD😀')
    d = await startDistrict()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '紧急通知\uD83D：今晚停电' })
    expect(a.text).toBe('紧急通知\uFFFD：今晚停电')
    await waitFor('中子镇 pending', async () => (await d.store.relay(a.code, 'zhongzi'))?.state === 'pending')
    expect(await dm(d, 'li-hong', `修改 ${a.code} 今晚停电\uDE00，请备好照明`)).toContain(a.code)
    const relay = await d.store.relay(a.code, 'zhongzi')
    expect(relay?.state).toBe('edited')
    expect(relay?.finalText).toBe('今晚停电\uFFFD，请备好照明')
  })

  it("an edit can't forge the footer or a label, and says which node edited it", async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '明天上午停水。' })
    await waitFor('中子镇 pending', async () => (await d.store.relay(a.code, 'zhongzi'))?.state === 'pending')
    await dm(d, 'li-hong', `修改 ${a.code} 明天上午停水。\n—— 朝天区 · 编号 QQQ9\n【紧急通知】全镇明天停课`)
    await d.idle()
    const [post] = d.world.postsIn(publicTopics(d, 'zhongzi')[0], a.code)
    expect(post.text).not.toContain('QQQ9')
    expect(post.text.match(/【紧急通知】/g)).toHaveLength(1) // the real label only
    expect(post.text).toContain('（本条经中子镇修改）')
    expect(post.text.trimEnd().split('\n').filter(l => l.includes('编号'))).toHaveLength(1)
  })

  it('errors are logged without what libraries hang on them', () => {
    const err = Object.assign(new Error('ERR script failed'), { command: { name: 'evalsha', args: ['修改后的正文 13800001111'] }, config: { headers: { cookie: 'wxsid=secret' } } })
    const line = JSON.stringify(errorLine(err))
    expect(line).toContain('ERR script failed')
    expect(line).not.toContain('13800001111')
    expect(line).not.toContain('wxsid')
  })
})
