/**
 * Sends whose outcome is unknown are settled, never left: a claim taken by a process that died
 * before saying, a say() that hangs past the send timeout. Settled = confirmed when the account's
 * own message was seen in the group, otherwise posted again marked 【补发】 — once.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { CLI_AUTHOR } from '../../src/spine/cascade.ts'
import { echoKey } from '../../src/chat/echo.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const SETTLE = { settleAfterMs: 300, sendTimeoutMs: 300 }

/** 中子镇's public group (only bot-district serves it), and a notice's send job for it waiting in bot-district's stopped outbox. */
async function waitingPost(text: string) {
  await d.stopBot('bot-district')
  const a = await d.app.publish({ node: 'zhongzi', author: CLI_AUTHOR, text })
  const topic = d.cfg.nodes.get('zhongzi')!.groups.find(g => g.kind === 'public')!.topic
  const job = await waitFor('the post queued', async () => (await d.outboxes.queue('bot-district').getJobs(['waiting', 'prioritized'])).find(j => j.data.delivery?.topic === topic))
  return { a, topic, job }
}

/**
 * What a process killed around its send leaves behind: `sending:` killed after the claim, before
 * say(); `saying:` killed once say() had begun (the post may have gone out).
 */
async function claimOfADeadProcess(idem: string, code: string, topic: string, phase: 'sending' | 'saying' = 'saying'): Promise<void> {
  await d.store.redis.set(d.store.keys.sendClaim(idem), `${phase}:bot-district:${Date.now() - 60_000}`)
  await d.store.patchDelivery(code, topic, ['queued'], { state: 'sending' })
}

describe('sends of unknown outcome', () => {
  it('a claim left by a process that died before say() began: sent once, not marked 【补发】 (nothing had gone out)', async () => {
    d = await startDistrict()
    const { a, topic, job } = await waitingPost('测试：领取后进程被杀，未发出')
    await claimOfADeadProcess(job.data.idem, a.code, topic, 'sending')
    await d.startBot('bot-district', true, SETTLE)
    await waitFor('the post', () => d.world.postsIn(topic, a.code).length > 0)
    await d.idle()
    const posts = d.world.postsIn(topic, a.code)
    expect(posts).toHaveLength(1)
    expect(posts[0].text.startsWith('【补发】')).toBe(false)
    await waitFor('confirmed', async () => (await d.store.delivery(a.code, topic))?.state === 'confirmed')
  })

  it('a claim left by a process that died inside say(), its post not seen: sent again, marked 【补发】, once', async () => {
    d = await startDistrict()
    const { a, topic, job } = await waitingPost('测试：发送中进程被杀，未见回显')
    await claimOfADeadProcess(job.data.idem, a.code, topic, 'saying')
    await d.startBot('bot-district', true, SETTLE)
    await waitFor('the post', () => d.world.postsIn(topic, a.code).length > 0)
    await d.idle()
    const posts = d.world.postsIn(topic, a.code)
    expect(posts).toHaveLength(1)
    expect(posts[0].text.startsWith('【补发】')).toBe(true)
  })

  it('a worker frozen between its claim and say() whose claim was taken over does not say', async () => {
    d = await startDistrict()
    const { job } = await waitingPost('测试：领取后冻结，被接手')
    const frozen = (await d.store.sends.claimSend(job.data.idem, 'bot-district'))!
    const taken = await d.store.sends.retakeSend(job.data.idem, frozen, 'bot-other')
    expect(taken).toMatch(/^sending:bot-other:/)
    expect(await d.store.sends.markSaying(job.data.idem, frozen, 'bot-district')).toBe(false)
    expect(await d.store.sends.markSaying(job.data.idem, taken!, 'bot-other')).toBe(true)
  })

  it('a claim left by a process that died after saying, its echo seen: confirmed, not posted again', async () => {
    d = await startDistrict()
    const { a, topic, job } = await waitingPost('测试：发出后进程被杀，回显已记录')
    await claimOfADeadProcess(job.data.idem, a.code, topic)
    await d.store.sends.recordEcho(topic, echoKey(job.data.text), Date.now() - 30_000)
    await d.startBot('bot-district', true, SETTLE)
    await waitFor('settled', async () => (await d.store.delivery(a.code, topic))?.state === 'confirmed')
    await d.idle()
    expect(d.world.postsIn(topic, a.code)).toHaveLength(0) // the mock world has no record of the dead process's post
    expect(await d.store.sends.sendClaim(job.data.idem)).toMatch(/^sent:/)
  })

  it('a say() that hangs: the account moves on after the send timeout, and the post is settled once', async () => {
    d = await startDistrict()
    let hung = false
    await d.stopBot('bot-district')
    await d.startBot('bot-district', true, {
      ...SETTLE,
      beforeSay: async target => {
        if (target.kind === 'group' && !hung) {
          hung = true
          await new Promise(() => undefined) // never answers
        }
      },
    })
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：发送卡住不返回' })
    const groups = d.cfg.nodes.get('chaotian')!.groups.filter(g => g.kind === 'public').map(g => g.topic)
    await waitFor('every group posted', () => groups.every(t => d.world.postsIn(t, a.code).length > 0), 15_000)
    await d.idle()
    for (const t of groups) expect(d.world.postsIn(t, a.code), t).toHaveLength(1)
    expect(groups.flatMap(t => d.world.postsIn(t, a.code)).filter(p => p.text.startsWith('【补发】'))).toHaveLength(1)
  })

  it('a stop during a hung send returns within its grace, leaving the send to be settled', async () => {
    d = await startDistrict()
    await d.stopBot('bot-district')
    await d.startBot('bot-district', true, { stopWaitMs: 300, beforeSay: () => new Promise(() => undefined) })
    const a = await d.app.publish({ node: 'chaotian', author: CLI_AUTHOR, text: '测试：停止时发送卡住' })
    const topic = d.cfg.nodes.get('chaotian')!.groups.find(g => g.kind === 'public')!.topic
    await waitFor('a send in flight', async () => (await d.store.delivery(a.code, topic))?.state === 'sending' || (await d.outboxes.queue('bot-district').getJobCounts('active')).active > 0)
    // beforeSay never settles: that stopBot returns at all shows it did not wait for the send (no
    // clock compared: issue 26 item 1), and the send is left as it was, for the next process to settle.
    await d.stopBot('bot-district')
    expect(d.world.postsIn(topic, a.code)).toHaveLength(0)
    expect((await d.store.delivery(a.code, topic))?.state).not.toBe('sent')
  })
})
