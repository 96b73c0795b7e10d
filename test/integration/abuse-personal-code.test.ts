/**
 * Issue 23, item 2: a personal code seen in a group let anyone act as that curator. 李红 types her
 * code in a public group by mistake; a resident DMs it to the bot. Now the code is revoked the
 * moment a bot sees it in a group (she is told privately and in her staff group, nothing is said
 * in the group), the resident is refused, and her next binding gives her a new code. Every
 * re-binding by code tells her earlier contact and her staff group, and spends the code (a new one
 * is sent back). Each ends with an urgent notice that reaches every public group once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { dm, startDistrict, waitFor } from '../helpers.ts'
import { urgentNoticeGoesOut } from './abuse-helpers.ts'

// The district's public group: two accounts sit in it and see what is typed there.
const PUBLIC = '朝天区群众信息发布群'
const STAFF = '中子镇防疫工作群'
const LI_HONG = personContactId('li-hong')

let d: SimDistrict
afterEach(async () => { await d?.close() })

/** The personal codes a contact was sent, oldest first. */
function codesSentTo(contact: string): string[] {
  return d.world.dmsTo(contact).flatMap(m => [...m.text.matchAll(/个人识别码：([A-Z0-9-]{14})/g)].map(x => x[1]))
}

async function bindLiHong(): Promise<{ bot: string; code: string }> {
  d = await startDistrict()
  const bot = d.homeBot('li-hong')
  await d.bind('li-hong', bot)
  await waitFor('李红 bound', async () => (await d.store.bindingsOf('li-hong'))[bot])
  await d.idle()
  const [code] = codesSentTo(LI_HONG)
  expect(code).toBeTruthy()
  return { bot, code }
}

describe('a personal code seen in a group (issue 23, item 2)', () => {
  it('is revoked at once: a resident who DMs it is refused; she is told privately; her next binding gives a new code', async () => {
    const { bot, code } = await bindLiHong()
    const resident = d.world.villagersOf(PUBLIC)[0]
    expect(d.world.botsIn(d.world.groups.get(PUBLIC)!).length).toBeGreaterThan(1) // several accounts see what she types

    // Typed in a public group, inside a longer message, in lower case with spaces.
    const typed = code.toLowerCase().replace(/-/g, ' ')
    d.world.sayInGroup(LI_HONG, PUBLIC, `@朝天区值守 我的识别码是 ${typed}，麻烦帮我恢复一下`)
    // (The accounts handle it in the background; code that stays silent gets a few seconds.)
    await waitFor('李红 told privately', () => d.world.dmsTo(LI_HONG).some(m => m.text.includes('已经作废')), 3_000).catch(() => undefined)
    await d.idle()

    // The attack: a resident who read it DMs the code. Refused; not bound; 李红 keeps her binding.
    const before = d.world.dmsTo(resident).length
    d.world.sayToBot(resident, bot, code)
    const answer = await waitFor('the resident answered', () => d.world.dmsTo(resident).slice(before)[0])
    expect(answer.text).toContain('识别码不对')
    expect(answer.text).not.toContain('身份已恢复')
    expect(await d.store.personOf(bot, resident)).toBeUndefined()
    expect((await d.store.bindingsOf('li-hong'))[bot]).toBe(LI_HONG)

    // She was told privately, once however many accounts saw it, and so was her staff group;
    // nothing was said in the group, and the code is never echoed.
    await waitFor('her staff group told', () => d.world.postsIn(STAFF, '已经作废').length === 1)
    expect(d.world.dmsTo(LI_HONG).filter(m => m.text.includes('已经作废'))).toHaveLength(1)
    expect(d.world.transcript.filter(m => m.room === PUBLIC && m.from.startsWith('wxid_bot_'))).toHaveLength(0)
    expect(d.world.postsIn(STAFF, code)).toHaveLength(0)
    const revoked = (await d.store.auditLog('bindings')).filter(e => e.kind === 'code-revoked')
    expect(revoked).toMatchObject([{ actor: 'li-hong', topic: PUBLIC, why: 'seen in a group' }])
    expect(await d.store.personalCodes.has('li-hong')).toBe(false)

    // A fresh invite from ops: bound again, a new code; the revoked one stays dead.
    await d.bind('li-hong', bot)
    await waitFor('a new code', () => codesSentTo(LI_HONG).length === 2)
    const fresh = codesSentTo(LI_HONG)[1]
    expect(fresh).not.toBe(code)
    expect(await d.store.personalCodes.personOf(code)).toBeUndefined()
    expect(await d.store.personalCodes.personOf(fresh)).toBe('li-hong')

    await urgentNoticeGoesOut(d, 'zhongzi')
  }, 40_000)

  it('a re-binding by code tells her earlier contact and her staff group, and spends the code', async () => {
    const { bot, code } = await bindLiHong()
    // Her code used from another WeChat (hers after a phone change — or not).
    const other = 'wxid_p_li-hong-new'
    d.world.addContact(other, '李红')
    expect(await dm(d, 'li-hong-new', code, bot)).toContain('身份已恢复')
    await d.idle()

    // The attack: a resident who had the code uses it too. Refused: the code was spent.
    const resident = d.world.villagersOf(PUBLIC)[0]
    const before = d.world.dmsTo(resident).length
    d.world.sayToBot(resident, bot, code)
    const answer = await waitFor('the resident answered', () => d.world.dmsTo(resident).slice(before)[0])
    expect(answer.text).toContain('识别码不对')
    expect(await d.store.personOf(bot, resident)).toBeUndefined()
    expect(await d.store.personOf(bot, other)).toBe('li-hong')

    // A new code went back to the contact that used it, privately.
    await waitFor('the new code sent to the contact that used it', () => codesSentTo(other).length === 1)
    const fresh = codesSentTo(other)[0]
    expect(fresh).not.toBe(code)
    // Her earlier contact and her staff group are told.
    await waitFor('her earlier contact told', () => d.world.dmsTo(LI_HONG).some(m => m.text.includes('另一个微信') && m.text.includes('如果不是您本人')))
    await waitFor('her staff group told', () => d.world.postsIn(STAFF, '用个人识别码恢复').length === 1)
    expect((await d.store.auditLog('bindings')).some(e => e.kind === 'rebind' && e.actor === 'li-hong' && e.by === 'personal-code')).toBe(true)

    // The new one works, once, for the same contact: nobody is told (nothing moved), a newer code comes back.
    await d.idle()
    const told = d.world.postsIn(STAFF, '用个人识别码恢复').length
    expect(await dm(d, 'li-hong-new', fresh, bot)).toContain('身份已恢复')
    await waitFor('a newer code', () => codesSentTo(other).length === 2)
    await d.idle()
    expect(d.world.postsIn(STAFF, '用个人识别码恢复')).toHaveLength(told)

    await urgentNoticeGoesOut(d, 'zhongzi')
  }, 40_000)
})
