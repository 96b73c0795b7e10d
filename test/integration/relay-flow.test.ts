/**
 * The relay spine end to end: real Redis, real BullMQ outboxes, Wechaty bots on the mock puppet.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { dm, latestCode, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
beforeEach(async () => {
  d = await startDistrict()
  await d.bindEveryone()
})
afterEach(async () => { await d.close() })

const TEXT = '今晚8点起暂停全镇集市，请大家减少外出。'

async function publish(): Promise<string> {
  const reply = await dm(d, 'zhao-min', `发布 ${TEXT}`)
  const code = /编号 ([A-Z0-9]{4})/.exec(reply)?.[1]
  expect(code, reply).toBeTruthy()
  return code!
}

function groupsOf(node: string): string[] {
  return d.cfg.nodes.get(node)!.groups.filter(g => g.kind === 'public').map(g => g.topic)
}

describe('a notice travels district → township → village', () => {
  it('ends in the expected status tree after an edit and a rejection', async () => {
    const code = await publish()
    // The district's own public group gets it without approval.
    await waitFor('the district post', () => d.world.postsIn(groupsOf('chaotian')[0], code).length === 1)

    // The township curator is asked, with the text, the code and how to answer.
    const request = await waitFor('an approval request to 李红', () => d.world.dmsTo(personContactId('li-hong')).find(m => m.text.includes(code)))
    expect(request.text).toContain(TEXT)
    expect(request.text).toContain(`通过 ${code}`)
    expect(request.text).toContain(`驳回 ${code}`)
    expect(request.text).toContain(`修改 ${code}`)
    expect(request.text).toMatch(/下级 4 个单位/)

    // 中子镇 edits; its villages then see the edited text.
    const edited = `${TEXT}（中子镇：集市改到下周三）`
    expect(await dm(d, 'li-hong', `修改 ${code} ${edited}`)).toContain(`已按您修改后的正文转发 ${code}`)
    const villageRequest = await waitFor('a request to 张桂英', () => d.world.dmsTo(personContactId('zhang-guiying')).find(m => m.text.includes(code)))
    expect(villageRequest.text).toContain(edited)

    expect(await dm(d, 'zhang-guiying', `通过 ${code}`)).toContain(`已通过 ${code}`)
    expect(await dm(d, 'yang-xiuzhen', `驳回 ${code} 本村已通过大喇叭通知`)).toContain(`已驳回 ${code}`)
    // The publisher is told of the rejection, with the reason.
    const told = await waitFor('the rejection notice', () => d.world.dmsTo(personContactId('zhao-min')).find(m => m.text.includes('驳回')))
    expect(told.text).toContain('本村已通过大喇叭通知')
    expect(told.text).toContain('东坝村')
    await d.idle()

    for (const topic of groupsOf('zhongzi-xicun')) {
      const posts = d.world.postsIn(topic, code)
      expect(posts, topic).toHaveLength(1)
      expect(posts[0].text).toContain('集市改到下周三')
    }
    for (const topic of groupsOf('zhongzi-dongba')) expect(d.world.postsIn(topic, code)).toHaveLength(0)

    const s = await d.app.statusTree(code)
    const byNode = new Map<string, { state: string; decidedBy?: string; groups: { total: number; sent: number; confirmed: number } }>()
    const walk = (n: NonNullable<typeof s>['root']) => { if (!n) return; byNode.set(n.node, n); n.children.forEach(walk) }
    walk(s!.root)
    expect(byNode.get('chaotian')).toMatchObject({ state: 'approved', decidedBy: '赵敏', groups: { total: 1, sent: 1, confirmed: 1 } })
    expect(byNode.get('zhongzi')).toMatchObject({ state: 'edited', decidedBy: '李红' })
    expect(byNode.get('zhongzi-xicun')).toMatchObject({ state: 'approved', groups: { total: 2, sent: 2, confirmed: 2 } })
    expect(byNode.get('zhongzi-dongba')).toMatchObject({ state: 'rejected', groups: { total: 0 } })
    expect(byNode.get('zhongzi-shuikou')).toMatchObject({ state: 'pending' })
    expect(byNode.get('yangmu')).toMatchObject({ state: 'pending' })
    // Nothing below a pending township is reached yet.
    expect(byNode.has('yangmu-qinggang')).toBe(false)

    // Any curator can ask for progress in chat and gets the tree.
    const progress = await dm(d, 'sun-li', `进度 ${code}`)
    expect(progress).toContain(`通知 ${code}`)
    expect(progress).toMatch(/中子镇 已修改后转发（李红/)
    expect(progress).toMatch(/东坝村 已驳回（杨秀珍 .*本村已通过大喇叭通知）/)
    expect(progress).toMatch(/西村 已通过（张桂英 .*群 已发 2\/2 确认 2/)
  })

  it('answers a repeated approval without forwarding twice', async () => {
    const code = await publish()
    await waitFor('the request', () => d.world.dmsTo(personContactId('li-hong')).some(m => m.text.includes(code)))
    // Curator and backup answer at the same moment.
    d.world.sayToBot(personContactId('li-hong'), d.homeBot('li-hong'), `通过 ${code}`)
    d.world.sayToBot(personContactId('chen-gang'), d.homeBot('chen-gang'), `通过 ${code}`)
    await waitFor('both answers', () => d.world.dmsTo(personContactId('chen-gang')).some(m => m.text.includes(code)) && d.world.dmsTo(personContactId('li-hong')).some(m => m.text.includes(`已通过 ${code}`) || m.text.includes('无需重复')))
    await d.idle()
    expect(d.world.postsIn(groupsOf('zhongzi')[0], code)).toHaveLength(1)
    // Each village curator of 中子镇 was asked exactly once.
    for (const curator of ['zhang-guiying', 'yang-xiuzhen', 'huang-zhiqiang', 'wu-ting']) {
      expect(d.world.dmsTo(personContactId(curator)).filter(m => m.text.startsWith('【待审核】') && m.text.includes(code)), curator).toHaveLength(1)
    }
    const again = await dm(d, 'li-hong', `通过 ${code}`)
    expect(again).toContain('无需重复操作')
    const audit = await d.store.auditLog(code)
    expect(audit.filter(e => e.kind === 'approve' && e.node === 'zhongzi')).toHaveLength(1)
    // Audited by name and channel: a chat command says so (the web's say 'web': test/browser/people.test.ts).
    expect(audit.find(e => e.kind === 'approve' && e.node === 'zhongzi')).toMatchObject({ actor: expect.stringMatching(/^(li-hong|chen-gang)$/), via: 'chat' })
    expect(audit.find(e => e.kind === 'publish')).toMatchObject({ actor: 'zhao-min', via: 'chat' })
  })
})

describe('a group that two accounts sit in', () => {
  it('answers a command and counts an acknowledgment once, though both accounts see them', async () => {
    const code = await publish()
    // 王军 (the district curator) is bound to both accounts of the district's groups.
    await d.bind('wang-jun', 'bot-north')
    await waitFor('the second binding', async () => Object.keys(await d.store.bindingsOf('wang-jun')).length === 2)
    const staffGroup = d.cfg.nodes.get('chaotian')!.groups.find(g => g.kind === 'staff')!.topic
    const before = d.world.transcript.length
    // Staff commands act only in a private chat: the group gets nothing, the curator one private note.
    d.world.sayInGroup(personContactId('wang-jun'), staffGroup, `进度 ${code}`)
    const privately = () => d.world.dmsTo(personContactId('wang-jun')).filter(m => m.text.includes('只在私聊中有效'))
    await waitFor('the private note', () => privately().length > 0)
    await new Promise(r => setTimeout(r, 300))
    await d.idle()
    expect(privately()).toHaveLength(1)
    expect(d.world.transcript.slice(before).filter(m => m.room === staffGroup && m.from.startsWith('wxid_bot_'))).toHaveLength(0)

    const topic = groupsOf('chaotian')[0]
    await waitFor('the district post', () => d.world.postsIn(topic, code).length === 1)
    d.world.sayInGroup(d.world.villagersOf(topic)[0], topic, '收到')
    await waitFor('the acknowledgment', async () => (await d.store.ackCounts(code)).get(topic) === 1)
    await new Promise(r => setTimeout(r, 300))
    expect((await d.store.ackCounts(code)).get(topic)).toBe(1)
  })
})

describe('identity: roles bind to contacts, never to names', () => {
  it('refuses an impostor renamed to a curator, a curator of another node, and unbound contacts', async () => {
    const code = await publish()
    await waitFor('the request', () => d.world.dmsTo(personContactId('li-hong')).some(m => m.text.includes(code)))

    // Someone renames themselves 李红 — the name of 中子镇's curator — and tries to approve.
    d.world.addContact('wxid_impostor', '李红')
    d.world.sayToBot('wxid_impostor', d.homeBot('li-hong'), `通过 ${code}`)
    const refusal = await waitFor('the refusal', () => d.world.dmsTo('wxid_impostor')[0])
    expect(refusal.text).toContain('还没有绑定')

    // 西村's curator cannot approve for 中子镇: nothing waits at 西村 yet.
    expect(await dm(d, 'zhang-guiying', `通过 ${code}`)).toContain('没有在您负责的单位')

    // In a group, an unbound member's command is ignored without a word.
    const villager = d.world.villagersOf(groupsOf('zhongzi')[0])[0]
    d.world.sayInGroup(villager, groupsOf('zhongzi')[0], `通过 ${code}`)
    await d.idle()
    expect((await d.store.relay(code, 'zhongzi'))?.state).toBe('pending')
    expect(d.world.transcript.filter(m => m.room === groupsOf('zhongzi')[0] && m.from.startsWith('wxid_bot_') && !m.text.includes(`编号 ${code}`))).toHaveLength(0)
  })

  it('lets an invite code work once, and answers bad commands with their usage', async () => {
    const code = await d.app.createInvite('li-hong')
    d.world.addContact('wxid_new_phone', '李红')
    expect(await dm(d, 'li-hong', code)).toContain('绑定成功')
    d.world.sayToBot('wxid_new_phone', d.homeBot('li-hong'), code)
    const second = await waitFor('the second answer', () => d.world.dmsTo('wxid_new_phone')[0])
    expect(second.text).toContain('邀请码无效')

    expect(await dm(d, 'li-hong', '通过')).toContain('通过 <编号>')
    expect(await dm(d, 'li-hong', '驳回 A7K2')).toContain('驳回 <编号> <理由>')
    expect(await dm(d, 'li-hong', '通过 ZZZ9')).toContain('没有找到编号为 ZZZ9')
    expect(await dm(d, 'li-hong', '你好')).toContain('可用指令')
    expect(await dm(d, 'zhao-min', '帮助')).toContain('发布 [紧急|一般|参考] <正文>')
    expect(await dm(d, 'li-hong', '发布 测试')).toContain('没有发布通知的权限')
  })
})
