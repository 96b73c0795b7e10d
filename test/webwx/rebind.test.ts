/**
 * Re-binding after a re-login with new ids without the personal code, where the evidence is
 * strong: one member of the person's staff group carries the nickname recorded at binding, and
 * that contact confirms. The real client (wechaty + wechaty-puppet-wechat4u) against the simulated
 * web-WeChat server, real Redis (docs/ARCHITECTURE.md, "Identity").
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../src/infra/log.ts'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { WebWxDistrict } from '../../src/sim/webwx-district.ts'
import { demoConfig, REDIS_URL, waitFor } from '../helpers.ts'

const BOT = 'bot-district'
const ASK = '请回复“确认”'

let d: WebWxDistrict | undefined
afterEach(async () => { await d?.close(); d = undefined })

async function start(): Promise<WebWxDistrict> {
  d = await WebWxDistrict.start({
    cfg: await demoConfig(), redisUrl: REDIS_URL, bots: [BOT], pacing: { perMinute: 6000, jitterMs: 0 }, villagersPerGroup: 2,
    runtime: { contactsWaitMs: 10_000, groupMissingRetryMs: 500 },
    // Each test re-logs in: the kick is seen at the first synccheck, not after the ~11 s the real
    // service's quoted retcode takes (that path is scenario 4's, test/webwx/scenarios.test.ts).
    server: { numericSyncRetcode: true },
    log: process.env.SCENARIO_LOG ? createLogger({}) : undefined,
  })
  return d
}

/** The personal code a person got when bound. */
function personalCode(d: WebWxDistrict, person: string): string {
  const code = /个人识别码：([A-Z0-9-]{14})/.exec(d.server.dmsTo(person).map(m => m.text).join('\n'))?.[1]
  expect(code, person).toBeTruthy()
  return code!
}

/** The account is kicked and its owner scans again: a fresh login, new ids for everyone. */
async function relogin(d: WebWxDistrict): Promise<void> {
  const oldId = d.server.idOf(BOT, 'li-hong')
  d.server.kick(BOT)
  await waitFor('logged out', () => !d.runtimes.get(BOT)!.isLoggedIn, 30_000)
  await d.scan(BOT)
  await waitFor('logged in again', () => d.runtimes.get(BOT)!.isLoggedIn)
  expect(d.server.idOf(BOT, 'li-hong')).not.toBe(oldId)
}

function askedToConfirm(d: WebWxDistrict, key: string): boolean {
  return d.server.dmsTo(key).some(m => m.from === BOT && m.text.includes(ASK))
}

const staffTopic = (d: WebWxDistrict) => d.cfg.nodes.get('zhongzi')!.groups.find(g => g.kind === 'staff')!.topic
/** The staff group's notices of who was asked to confirm and who must send their code. */
const staffNotices = (d: WebWxDistrict) => d.server.messagesIn(staffTopic(d)).filter(m => m.from === BOT).map(m => m.text)

describe('re-binding after new WeChat ids, by a confirmed nickname', () => {
  it('a. a staff member is asked, answers 确认, is bound again and can approve', async () => {
    const d = await start()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '请各镇核对防汛物资。' })
    await relogin(d)
    const rt = d.runtimes.get(BOT)!
    expect(rt.missingPeople).toContain('li-hong')
    await waitFor('李红 asked to confirm', () => askedToConfirm(d, 'li-hong'))
    const ask = d.server.dmsTo('li-hong').filter(m => m.text.includes(ASK)).at(-1)!.text
    expect(ask).toContain('李红您好')
    // The staff group hears who was asked (and nobody here must send a code).
    await waitFor('the staff group told', () => staffNotices(d).some(t => t.includes('已私信') && t.includes('李红') && t.includes('陈刚')))
    expect(staffNotices(d).some(t => t.includes('暂时认不出'))).toBe(false)
    // Until she answers she is missing, and the contact is nobody.
    expect(await d.store.personOf(BOT, d.server.idOf(BOT, 'li-hong'))).toBeUndefined()
    expect(await d.dm('li-hong', BOT, '确认')).toContain('身份已恢复')
    expect((await d.store.bindingsOf('li-hong'))[BOT]).toBe(d.server.idOf(BOT, 'li-hong'))
    expect(rt.missingPeople).not.toContain('li-hong')
    expect(await d.dm('li-hong', BOT, `通过 ${a.code}`, t => t.includes(`已通过 ${a.code}`))).toBeTruthy()
    const audit = await d.store.auditLog('bindings')
    expect(audit.filter(e => e.kind === 'rebind' && e.actor === 'li-hong').map(e => e.by)).toEqual(['nickname-confirmed'])
    // A second 确认 (the request was used) binds nothing more: she is bound and gets her help text.
    expect(await d.dm('li-hong', BOT, '确认')).toContain('帮助')
  }, 90_000)

  it('b. a look-alike with the same nickname, a friend but not in the staff group: never asked; the real person is', async () => {
    const d = await start()
    await d.bindEveryone()
    d.server.addUser({ key: 'fake-li-hong', nickname: '李红' })
    d.server.befriend(BOT, 'fake-li-hong')
    // They share a group with the account, just not the staff group.
    d.server.addGroup({ key: 'chat-group', topic: '中子镇老乡闲聊群', members: [BOT, 'fake-li-hong', 'chen-gang'] })
    await relogin(d)
    await waitFor('李红 asked to confirm', () => askedToConfirm(d, 'li-hong'))
    expect(askedToConfirm(d, 'fake-li-hong')).toBe(false)
    // The look-alike's 确认 is a stranger's message: the stranger's answer, no role.
    expect(await d.dm('fake-li-hong', BOT, '确认')).toContain('还没有绑定身份')
    expect(await d.store.personOf(BOT, d.server.idOf(BOT, 'fake-li-hong'))).toBeUndefined()
    expect(d.runtimes.get(BOT)!.missingPeople).toContain('li-hong')
    expect(await d.dm('li-hong', BOT, '确认')).toContain('身份已恢复')
    expect((await d.store.bindingsOf('li-hong'))[BOT]).toBe(d.server.idOf(BOT, 'li-hong'))
  }, 90_000)

  it('c. two staff members with one nickname: neither is asked; both send their code', async () => {
    const d = await start()
    d.server.setNickname('chen-gang', '李红') // 陈刚 uses the same WeChat nickname as 李红, from the start
    await d.bindEveryone()
    await relogin(d)
    await waitFor('the staff group told who must send their code', () => staffNotices(d).some(t => t.includes('暂时认不出') && t.includes('李红') && t.includes('陈刚')))
    expect(askedToConfirm(d, 'li-hong')).toBe(false)
    expect(askedToConfirm(d, 'chen-gang')).toBe(false)
    // Either one's 确认 is a stranger's message.
    expect(await d.dm('chen-gang', BOT, '确认')).toContain('还没有绑定身份')
    expect(d.runtimes.get(BOT)!.missingPeople).toEqual(expect.arrayContaining(['li-hong', 'chen-gang']))
    expect(await d.dm('li-hong', BOT, personalCode(d, 'li-hong'))).toContain('身份已恢复')
    expect(await d.dm('chen-gang', BOT, personalCode(d, 'chen-gang'))).toContain('身份已恢复')
    expect((await d.store.bindingsOf('chen-gang'))[BOT]).toBe(d.server.idOf(BOT, 'chen-gang'))
  }, 90_000)

  it('d. a staff member renamed since binding: not asked; the code works, and the new nickname is recorded', async () => {
    const d = await start()
    await d.bindEveryone()
    d.server.setNickname('li-hong', '红姐')
    await relogin(d)
    await waitFor('the staff group told 李红 must send her code', () => staffNotices(d).some(t => t.includes('暂时认不出') && t.includes('李红')))
    await waitFor('陈刚 asked (his nickname is unchanged)', () => askedToConfirm(d, 'chen-gang'))
    expect(askedToConfirm(d, 'li-hong')).toBe(false)
    expect(await d.dm('li-hong', BOT, '确认')).toContain('还没有绑定身份')
    expect(await d.dm('li-hong', BOT, personalCode(d, 'li-hong'))).toContain('身份已恢复')
    expect(d.runtimes.get(BOT)!.missingPeople).not.toContain('li-hong')
    expect(await d.store.redis.hget(d.store.keys.boundNicknames(BOT), 'li-hong')).toBe('红姐')
  }, 90_000)

  it('e. a contact asked, then removed from the staff group before answering: its 确认 binds nothing', async () => {
    const d = await start()
    await d.bindEveryone()
    await relogin(d)
    await waitFor('李红 asked to confirm', () => askedToConfirm(d, 'li-hong'))
    // Someone who controls the group removes her (the server tells the account the new member list).
    const group = d.server.world.group(staffTopic(d))
    group.members = group.members.filter(m => m !== 'li-hong')
    d.server.setTopic(group.key, group.topic)
    await waitFor('the account sees the new member list', () => {
      const dir = (d.runtimes.get(BOT)!.wechaty.puppet as unknown as { directory(): { rooms: { topic: string; members: { name: string }[] }[] } }).directory()
      return !dir.rooms.find(r => r.topic === group.topic)?.members.some(m => m.name === '李红')
    })
    expect(await d.dm('li-hong', BOT, '确认')).toContain('还没有绑定身份')
    expect(await d.store.personOf(BOT, d.server.idOf(BOT, 'li-hong'))).toBeUndefined()
    expect(d.runtimes.get(BOT)!.missingPeople).toContain('li-hong')
    expect(await d.dm('li-hong', BOT, personalCode(d, 'li-hong'))).toContain('身份已恢复')
  }, 90_000)
  it('f. a look-alike who names a group after the staff group: that staff group counts for nobody', async () => {
    const d = await start()
    await d.bindEveryone()
    d.server.addUser({ key: 'fake-li-hong', nickname: '李红' })
    d.server.befriend(BOT, 'fake-li-hong')
    d.server.addGroup({ key: 'fake-staff', topic: staffTopic(d), members: [BOT, 'fake-li-hong'] })
    await relogin(d)
    await waitFor('the staff group told who must send their code', () => d.server.messagesIn(staffTopic(d)).concat(d.server.messagesIn('fake-staff')).some(m => m.from === BOT && m.text.includes('暂时认不出') && m.text.includes('李红')))
    expect(askedToConfirm(d, 'fake-li-hong')).toBe(false)
    expect(askedToConfirm(d, 'li-hong')).toBe(false)
    await waitFor('孙丽 (another township) asked as usual', () => askedToConfirm(d, 'sun-li'))
    expect(await d.dm('li-hong', BOT, personalCode(d, 'li-hong'))).toContain('身份已恢复')
  }, 90_000)

  it('g. a code typed in the staff group is revoked at once; after a re-login her 确认 gives her a new one', async () => {
    const d = await start()
    await d.bindEveryone()
    const code = personalCode(d, 'li-hong')
    // She types it in her staff group by mistake: revoked; she is told privately, the staff group without the code.
    d.server.say('li-hong', staffTopic(d), `识别码是 ${code.toLowerCase()} 吗？`)
    await waitFor('李红 told privately', () => d.server.dmsTo('li-hong').some(m => m.from === BOT && m.text.includes('已经作废')))
    await waitFor('the staff group told', () => staffNotices(d).some(t => t.includes('李红') && t.includes('已经作废')))
    expect(staffNotices(d).some(t => t.includes(code))).toBe(false)
    await relogin(d)
    await waitFor('李红 asked to confirm', () => askedToConfirm(d, 'li-hong'))
    // Her old code is dead, for her as for anyone; her 确认 binds her and brings a new code.
    expect(await d.dm('li-hong', BOT, code)).toContain('识别码不对')
    const before = d.server.dmsTo('li-hong').length
    expect(await d.dm('li-hong', BOT, '确认')).toContain('身份已恢复')
    const fresh = await waitFor('a new code', () => /个人识别码：([A-Z0-9-]{14})/.exec(d.server.dmsTo('li-hong').slice(before).map(m => m.text).join('\n'))?.[1])
    expect(fresh).not.toBe(code)
    expect(await d.store.personalCodes.personOf(fresh)).toBe('li-hong')
    // An urgent notice still reaches each of 中子镇's public groups once.
    const a = await d.app.publish({ node: 'zhongzi', author: CLI_AUTHOR, text: '紧急通知：今晚八点起全镇停水，请提前储水。', severity: 'urgent' })
    for (const g of d.cfg.nodes.get('zhongzi')!.groups.filter(g => g.kind === 'public')) {
      await waitFor(`the notice in ${g.topic}`, () => d.postsIn(g.topic, a.code).length === 1, 20_000)
    }
  }, 90_000)
})
