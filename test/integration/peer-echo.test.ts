/**
 * Every account in a group keeps the other Cascade accounts' posts there as echoes: a post made
 * by an account that then froze (SIGSTOP) or died is found by the peer that settles its send,
 * instead of being posted again.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { botContactId } from '../../src/sim/world.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { publicTopics, startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

describe('echoes seen by peers', () => {
  it("a post of a frozen account, seen by its peer in the group, is settled by the peer as posted: not posted again", async () => {
    d = await startDistrict()
    await d.stopBot('bot-north')
    await d.stopBot('bot-south')
    const a = await d.app.publish({ node: 'yangmu-qinggang', author: CLI_AUTHOR, text: '测试：值守号发出后被冻结' })
    const topic = publicTopics(d, 'yangmu-qinggang')[0]
    const found = await waitFor('the post queued', async () => {
      for (const bot of ['bot-north', 'bot-south']) {
        const job = (await d.outboxes.queue(bot).getJobs(['waiting', 'prioritized'])).find(j => j.data.delivery?.topic === topic)
        if (job) return { bot, job }
      }
      return undefined
    })
    const frozen = found.bot
    const peer = frozen === 'bot-north' ? 'bot-south' : 'bot-north'
    // The frozen account had begun saying (its claim says so), and its post went out; then it stopped.
    await d.store.redis.set(d.store.keys.sendClaim(found.job.data.idem), `saying:${frozen}:${Date.now() - 60_000}`)
    await d.store.patchDelivery(a.code, topic, ['queued'], { state: 'sending' })
    // The peer is up (no rescue during the test) and sees the frozen account's post in the group.
    await d.startBot(peer, true, { settleAfterMs: 300, heartbeatSeconds: 3600 })
    d.world.sayInGroup(botContactId(frozen), topic, found.job.data.text)
    await waitFor('the peer keeps it as an echo', async () => (await d.store.sends.echoesSince(topic, 0)).length > 0)
    // The frozen account's send moves to the peer, as the rescue of a silent account does.
    await d.outboxes.enqueue(peer, found.job.data, found.job.opts.priority ?? 5)
    await found.job.remove()
    await waitFor('settled as posted', async () => (await d.store.delivery(a.code, topic))?.state === 'confirmed')
    await d.idle()
    // The peer posted nothing (without the echo it would post again, marked 【补发】).
    expect(d.world.postsIn(topic, a.code).filter(p => p.from === botContactId(peer))).toHaveLength(0)
    expect(d.world.postsIn(topic, '【补发】')).toHaveLength(0)
    expect(await d.store.sends.sendClaim(found.job.data.idem)).toMatch(new RegExp(`^sent:${peer}:`))
  })
})
