/**
 * Issue 13, item 13: one contact, one person. A contact bound as 李红 that redeems 陈刚's invite
 * becomes 陈刚 only: 李红's record no longer points to it (her approval requests do not go to
 * someone who cannot act), she is told in her node's staff group, and the audit says so. The
 * urgent notice that follows still goes out.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { startDistrict, waitFor } from '../helpers.ts'
import { urgentNoticeGoesOut } from './abuse-helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

describe('re-binding a contact', () => {
  it('clears the first person\'s binding and tells them to re-bind', async () => {
    d = await startDistrict()
    const bot = d.homeBot('li-hong')
    await d.bind('li-hong', bot)
    await waitFor('李红 bound', async () => (await d.store.bindingsOf('li-hong'))[bot])
    await d.idle()
    const contact = personContactId('li-hong')

    // 李红's WeChat redeems 陈刚's invite.
    const invite = await d.app.createInvite('chen-gang')
    d.world.sayToBot(contact, bot, invite)
    await waitFor('the contact is 陈刚\'s', async () => await d.store.personOf(bot, contact) === 'chen-gang')
    expect((await d.store.bindingsOf('li-hong'))[bot]).toBeUndefined()
    expect((await d.store.bindingsOf('chen-gang'))[bot]).toBe(contact)
    expect((await d.store.auditLog('bindings')).some(e => e.kind === 'unbind' && e.actor === 'li-hong')).toBe(true)
    await waitFor('the staff group told', () => d.world.postsIn('中子镇防疫工作群', '李红').some(m => m.text.includes('取代')))

    // A notice for 中子镇: 李红 cannot be reached (recorded), and it is not sent to 陈刚's contact as hers.
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '一般通知：明天例会改到下午。', severity: 'normal' })
    await waitFor('the relay at 中子镇', async () => (await d.store.relay(a.code, 'zhongzi'))?.state === 'pending')
    await waitFor('李红 unreachable', async () => (await d.store.auditLog(a.code)).some(e => e.kind === 'curator-unreachable' && e.actor === 'li-hong'))
    await d.idle()
    const requests = d.world.dmsTo(contact).filter(m => m.text.includes(`编号 ${a.code}`))
    expect(requests).toHaveLength(0) // 陈刚 is a backup: asked only on escalation

    await urgentNoticeGoesOut(d, 'zhongzi')
  })
})
