/**
 * Issue 13, items 10 and 15, through the app on real Redis: a text too long is never parsed (a
 * curator is told, a group gets nothing), 「」 + 32,000 newlines costs nothing, random texts from a
 * stranger change nothing, and a group that no node lists is ignored. The urgent notice that
 * follows still goes out.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { casesOf } from '../../src/features/cases/cases.ts'
import type { Inbound } from '../../src/spine/cascade.ts'
import { MAX_INBOUND_CHARS } from '../../src/domain/limits.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { dm, startDistrict, waitFor } from '../helpers.ts'
import { urgentNoticeGoesOut } from './abuse-helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const XICUN = '西村村民群'

function msg(over: Partial<Inbound>): Inbound {
  return { bot: 'bot-north', contactId: 'wxid_stranger_fuzz', contactName: '路人', text: '', messageId: `m-${Math.random()}`, ...over }
}

describe('inbound texts', () => {
  it('does not parse a text over the cap, ignores unlisted groups, survives random texts, and the notice still goes out', async () => {
    d = await startDistrict()
    await d.bind('zhao-min')
    await waitFor('bound', async () => Object.keys(await d.store.bindingsOf('zhao-min')).length > 0)
    await d.idle()

    // A publisher's notice over the cap: told, nothing published.
    const long = `发布 紧急 ${'停水'.repeat(MAX_INBOUND_CHARS)}`
    expect(await dm(d, 'zhao-min', long)).toContain('太长')
    expect(await d.store.recentCodes(5)).toEqual([])

    // 「」 + 32,000 newlines in a group: answered by nothing. Just under the cap it is parsed, and
    // answered by nothing too. (That the parsers are linear is shown by npm run bench:parsers, not
    // by a clock in a test: issue 26 item 1.)
    const v = d.world.villagersOf(XICUN)[0]
    expect(await d.app.handleInbound(msg({ contactId: v, topic: XICUN, text: '「」' + '\n'.repeat(32_000) + 'x' }))).toEqual([])
    expect(await d.app.handleInbound(msg({ contactId: v, topic: XICUN, text: '「」' + '\n'.repeat(MAX_INBOUND_CHARS - 3) + 'x' }))).toEqual([])

    // A group that no node lists: a tip there opens nothing and gets no answer.
    expect(await d.app.handleInbound(msg({ contactId: v, topic: '隔壁县的吃瓜群', text: '举报 有人在河边聚餐' }))).toEqual([])
    expect(await casesOf(d.app)!.store.all()).toEqual([])

    // Random texts from a stranger, in a DM and in a group: no throw, no notice, no relay.
    const pieces = ['发布', '通过 A7K2', '驳回', '进度', '待办', '「', '」', '\n- - - -\n', '\uD83D', '\u202e', '\u200b', 'Ａ７Ｋ２', '{code}', '收到', '辟谣 S1', '推广 R1', '接单 CAAAAA', ' ', '紧急']
    for (let i = 0; i < 200; i++) {
      let text = ''
      for (let k = 0; k < 1 + (i % 9); k++) text += pieces[(i * 7 + k * 13) % pieces.length]
      await d.app.handleInbound(msg({ text, ...(i % 2 ? { topic: XICUN } : {}) }))
    }
    expect(await d.store.recentCodes(5)).toEqual([])
    await d.idle()

    await urgentNoticeGoesOut(d, 'zhongzi-xicun')
  })
})
