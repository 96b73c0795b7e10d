/**
 * Text that could stall or forge: a lone surrogate never reaches Redis (the relay can still be
 * decided); an edit cannot forge a post's footer or labels and is credited to the editing node;
 * errors are logged without what the library hung on them (command arguments, requests).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { wellFormed } from '../../src/domain/text.ts'
import { errorLine } from '../../src/infra/log.ts'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { dm, publicTopics, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close(); d = undefined as unknown as SimDistrict })

describe('texts at the edges', () => {
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
