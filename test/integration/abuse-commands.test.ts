/**
 * Issue 13, item 5: staff commands act only in a private chat. Typed in a staff or public group,
 * 发布 publishes nothing, 待办 / 进度 show nothing (no pending text, no rejection reason), 通过 /
 * 接单 / 辟谣 decide nothing; the person is told privately, once, though two accounts see it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { casesOf } from '../../src/features/cases/cases.ts'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { dm, startDistrict, waitFor } from '../helpers.ts'
import { urgentPostsOf } from './abuse-helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const PRIVATE_ONLY = '工作指令只在私聊中有效'

async function bound(...people: string[]): Promise<void> {
  for (const p of people) await d.bind(p)
  await waitFor('staff bound', async () => {
    for (const p of people) if (Object.keys(await d.store.bindingsOf(p)).length === 0) return false
    return true
  })
  await d.idle()
}

/** Bot messages in a group since transcript index `since`. */
function botSaysIn(topic: string, since: number) {
  return d.world.transcript.slice(since).filter(m => m.room === topic && m.from.startsWith('wxid_bot_'))
}

/** DMs to a person containing the private-only notice. */
function privateOnlyDms(person: string) {
  return d.world.dmsTo(personContactId(person)).filter(m => m.text.includes(PRIVATE_ONLY))
}

describe('staff commands in groups', () => {
  it('publishes nothing from a staff or public group, shows nothing pending, and the notice decided in private still goes out urgent', async () => {
    d = await startDistrict()
    await bound('zhao-min', 'li-hong', 'wang-jun')
    const staffGroup = '朝天区防控指挥部工作群'
    const publicGroup = '朝天区群众信息发布群'
    const since = d.world.transcript.length

    d.world.sayInGroup(personContactId('zhao-min'), staffGroup, '发布 紧急 群里发的假通知')
    d.world.sayInGroup(personContactId('zhao-min'), publicGroup, '发布 紧急 公众群里发的假通知')
    await waitFor('two private answers', () => privateOnlyDms('zhao-min').length === 2)
    expect(await d.store.recentCodes(10)).toEqual([])

    // A notice waits at 中子镇; its curator asks about it in the town's public group.
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '紧急：明日起暂停集市，待审核的正文', severity: 'urgent' })
    await waitFor('the relay at 中子镇', async () => (await d.store.relay(a.code, 'zhongzi'))?.state === 'pending')
    const town = '中子镇便民信息群'
    for (const text of ['待办', `进度 ${a.code}`, `驳回 ${a.code} 群里看不到的理由`]) d.world.sayInGroup(personContactId('li-hong'), town, text)
    await waitFor('three private answers', () => privateOnlyDms('li-hong').length === 3)
    await new Promise(r => setTimeout(r, 300))
    await d.idle()
    expect((await d.store.relay(a.code, 'zhongzi'))?.state).toBe('pending')
    expect(botSaysIn(town, since).filter(m => !m.text.includes(`编号 ${a.code}`))).toHaveLength(0)
    expect(botSaysIn(staffGroup, since)).toHaveLength(0)
    expect(botSaysIn(publicGroup, since).map(m => m.text).join()).not.toContain('假通知')

    // In a private chat the same curator's command works, and the notice goes out urgent.
    expect(await dm(d, 'li-hong', `通过 ${a.code}`)).toContain(`已通过 ${a.code}`)
    await urgentPostsOf(d, a.code, 'zhongzi')
  })

  it('answers a command seen by two accounts once, privately; case and rumor commands too', async () => {
    d = await startDistrict()
    await bound('zhang-guiying', 'wang-jun')
    await d.bind('wang-jun', 'bot-north') // the district's groups are served by two accounts
    await waitFor('the second binding', async () => Object.keys(await d.store.bindingsOf('wang-jun')).length === 2)
    const since = d.world.transcript.length
    d.world.sayInGroup(personContactId('wang-jun'), '朝天区群众信息发布群', '待办')
    await waitFor('the private answer', () => privateOnlyDms('wang-jun').length === 1)

    const xicun = '西村村民群'
    const v = d.world.villagersOf(xicun)[0]
    d.world.sayToBot(v, 'bot-north', '求助 家里没有米了')
    const c = await waitFor('the case', async () => (await casesOf(d.app)!.store.all())[0])
    d.world.sayInGroup(personContactId('zhang-guiying'), xicun, `接单 ${c.code}`)
    d.world.sayInGroup(personContactId('zhang-guiying'), xicun, '辟谣 S1 这是村里审核员在群里写的辟谣')
    await waitFor('two private answers', () => privateOnlyDms('zhang-guiying').length === 2)
    await new Promise(r => setTimeout(r, 300))
    await d.idle()
    expect(privateOnlyDms('wang-jun')).toHaveLength(1)
    expect((await casesOf(d.app)!.store.get(c.code))?.state).toBe('open')
    expect(botSaysIn(xicun, since)).toHaveLength(0)
    expect(botSaysIn('朝天区群众信息发布群', since)).toHaveLength(0)
  })
})
