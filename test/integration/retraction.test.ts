/**
 * A retraction withdraws the original's pending corrections too: publish → update → cancel in
 * every order and at every moment of the fan-out (nothing sent yet, the original out, the
 * correction queued, the correction out, the correction still waiting for a curator, both at
 * once). Whatever the timing, no correction of a retracted notice goes out after the retraction,
 * and every group that saw the original or its correction gets the retraction exactly once.
 * Real Redis, BullMQ and Wechaty on the mock puppet.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { cancel, correct } from '../../src/features/curation/curation.ts'
import type { Announcement } from '../../src/domain/announcement.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { startDistrict, waitFor } from '../helpers.ts'

let d: SimDistrict
afterEach(async () => { await d?.close() })

const PUBLISHER = 'zhao-min'

function allTopics(): string[] {
  return [...d.cfg.nodes.values()].flatMap(n => n.groups.filter(g => g.kind === 'public').map(g => g.topic))
}

/** Index in the transcript of each post of `code` in a group (the footer names the code). */
function postIndexes(topic: string, code: string): number[] {
  const out: number[] = []
  d.world.transcript.forEach((m, i) => {
    if (m.room === topic && m.from.startsWith('wxid_bot_') && m.text.includes(`· 编号 ${code}`)) out.push(i)
  })
  return out
}

async function stopAll(): Promise<void> { for (const bot of [...d.cfg.bots.keys()]) await d.stopBot(bot) }
async function startAll(): Promise<void> { for (const bot of d.cfg.bots.keys()) await d.startBot(bot) }

/**
 * The invariant after a retraction `c` of `a` (corrections `u`): a group that saw the original or
 * a correction gets the retraction once, after them; a group that saw neither gets nothing; no
 * original or correction is posted after the retraction. Returns how many groups were retracted.
 */
function checkRetracted(a: Announcement, us: Announcement[], c: Announcement): number {
  let retracted = 0
  for (const topic of allTopics()) {
    const seen = [a, ...us].flatMap(x => postIndexes(topic, x.code))
    const cs = postIndexes(topic, c.code)
    for (const x of [a, ...us]) expect(postIndexes(topic, x.code).length, `${topic}: ${x.code} posted twice`).toBeLessThanOrEqual(1)
    expect(cs.length, `${topic}: retractions for ${seen.length} post(s)`).toBe(seen.length ? 1 : 0)
    if (cs.length) expect(Math.max(...seen), `${topic}: posted after its retraction`).toBeLessThan(cs[0])
    retracted += cs.length
  }
  return retracted
}

async function nothingPending(code: string): Promise<void> {
  for (const [node, r] of await d.store.relays(code)) expect(r.state, `${code} at ${node}`).not.toBe('pending')
  for (const x of await d.store.deliveries(code)) expect(['queued', 'sending'], `${code} in ${x.topic}`).not.toContain(x.state)
}

describe('a retraction withdraws the pending corrections of its notice', () => {
  it('nothing sent yet: neither the original, nor the correction, nor a retraction is posted', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    await stopAll()
    const a = await d.app.publish({ node: 'chaotian', author: PUBLISHER, text: '今晚八点全区停水' })
    const { made: u } = await correct(d.app, PUBLISHER, a.code, '今晚九点全区停水')
    const { made: c, reply } = await cancel(d.app, PUBLISHER, a.code, '停水取消')
    expect(reply).toContain(`已撤回 ${a.code}`)
    await startAll()
    await d.idle()
    expect(checkRetracted(a, [u!], c!)).toBe(0)
    expect((await d.store.deliveries(u!.code)).map(x => x.state)).toEqual(expect.arrayContaining(['withdrawn']))
    await nothingPending(a.code)
    await nothingPending(u!.code)
    expect(await d.store.cancelledBy(u!.code)).toBe(c!.code)
  })

  it('the original out, its correction still queued: the correction never goes out, the retraction does', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: PUBLISHER, text: '今晚八点全区停水' })
    await d.app.decide(a, 'zhongzi', 'li-hong', { action: 'approve' })
    await d.idle()
    await stopAll()
    // Urgent: 中子镇 approved the original, so the correction passes there and is queued too.
    const { made: u } = await correct(d.app, PUBLISHER, a.code, '今晚九点全区停水')
    expect((await d.store.relay(u!.code, 'zhongzi'))?.state).toBe('approved')
    const { made: c } = await cancel(d.app, PUBLISHER, a.code, '停水取消')
    await startAll()
    await d.idle()
    expect(checkRetracted(a, [u!], c!)).toBeGreaterThanOrEqual(2)
    for (const topic of allTopics()) expect(postIndexes(topic, u!.code), topic).toHaveLength(0)
    await nothingPending(u!.code)
    // 中子镇's villages were still deciding on the original (with the corrected text): withdrawn.
    for (const v of d.cfg.children.get('zhongzi')!) expect((await d.store.relay(a.code, v))?.state).toBe('withdrawn')
  })

  it('the correction went out where the original never did: that group is retracted too', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    await stopAll()
    const a = await d.app.publish({ node: 'chaotian', author: PUBLISHER, text: '今晚八点全区停水' })
    // The original's queued copies are superseded: those groups get only the correction.
    const { made: u } = await correct(d.app, PUBLISHER, a.code, '今晚九点全区停水')
    await startAll()
    await d.idle()
    const district = allTopics().filter(t => d.app.groupOf(t)?.node === 'chaotian')
    for (const topic of district) {
      expect(postIndexes(topic, a.code), topic).toHaveLength(0)
      expect(postIndexes(topic, u!.code), topic).toHaveLength(1)
    }
    const { made: c, reply } = await cancel(d.app, PUBLISHER, a.code, '停水取消')
    expect(reply).toContain(`向已收到它的 ${district.length} 个群`)
    await d.idle()
    expect(checkRetracted(a, [u!], c!)).toBe(district.length)
  })

  it('the correction out, and waiting for a curator below: retracted everywhere it went, withdrawn where it waits', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: PUBLISHER, text: '周六上午开展消防演练', severity: 'normal' })
    await d.app.decide(a, 'zhongzi', 'li-hong', { action: 'approve' })
    await d.idle()
    const { made: u } = await correct(d.app, PUBLISHER, a.code, '周日上午开展消防演练')
    await d.idle()
    // Not urgent: 中子镇 is asked to approve the correction.
    expect((await d.store.relay(u!.code, 'zhongzi'))?.state).toBe('pending')
    const { made: c, reply } = await cancel(d.app, PUBLISHER, a.code, '演练取消')
    expect(reply).toMatch(/[1-9]\d* 个单位的待审核已取消/)
    await d.idle()
    expect((await d.store.relay(u!.code, 'zhongzi'))?.state).toBe('withdrawn')
    await waitFor('the correction withdrawn at 中子镇', () => d.world.dmsTo(personContactId('li-hong')).some(m => m.text.includes(`编号 ${u!.code} 的通知已被发布单位撤回`)))
    // The curator answers the correction anyway: nothing more goes out.
    expect((await d.app.decide(u!, 'zhongzi', 'li-hong', { action: 'approve' })).changed).toBe(false)
    await d.idle()
    expect(checkRetracted(a, [u!], c!)).toBeGreaterThanOrEqual(1)
    for (const topic of allTopics()) expect(postIndexes(topic, u!.code).length, topic).toBeLessThanOrEqual(postIndexes(topic, a.code).length)
    await nothingPending(u!.code)
    expect((await correct(d.app, PUBLISHER, u!.code, '再改')).done).toBe(false)
    expect((await cancel(d.app, PUBLISHER, u!.code, '再撤')).done).toBe(false)
  })

  it('retracted first, corrected after: the correction is refused and nothing is made', async () => {
    d = await startDistrict()
    await d.bindEveryone()
    const a = await d.app.publish({ node: 'chaotian', author: PUBLISHER, text: '今晚八点全区停水' })
    await d.idle()
    const { made: c } = await cancel(d.app, PUBLISHER, a.code, '停水取消')
    const late = await correct(d.app, PUBLISHER, a.code, '今晚九点全区停水')
    expect(late).toMatchObject({ done: false })
    expect(late.reply).toContain('已经撤回过了')
    await d.idle()
    expect(checkRetracted(a, [], c!)).toBeGreaterThanOrEqual(1)
    expect(await d.store.recentCodes(10)).toHaveLength(2)
  })

  it('corrected and retracted at the same moment, at several points of a fan-out: never a correction after the retraction', async () => {
    d = await startDistrict({ pacing: { perMinute: 900, jitterMs: 0 } })
    await d.bindEveryone()
    for (const [i, delayMs] of [0, 60, 200].entries()) {
      const a = await d.app.publish({ node: 'chaotian', author: PUBLISHER, text: `第${i + 1}轮：今晚八点停水` })
      for (const node of ['zhongzi', 'yangmu']) await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
      await new Promise(r => setTimeout(r, delayMs))
      const [fix, ret] = await Promise.all([
        correct(d.app, PUBLISHER, a.code, `第${i + 1}轮：今晚九点停水`),
        cancel(d.app, PUBLISHER, a.code, '停水取消'),
      ])
      expect(ret.done).toBe(true)
      // Curators keep answering afterwards: nothing more goes out.
      for (const node of d.cfg.children.get('zhongzi')!) await d.app.decide(a, node, d.cfg.nodes.get(node)!.curators[0], { action: 'approve' })
      await d.idle()
      // Every correction stored (also one refused because the retraction came first) is retracted.
      const us = await Promise.all((await d.store.corrections(a.code)).map(async code => (await d.store.announcement(code))!))
      expect(us).toHaveLength(1)
      checkRetracted(a, us, ret.made!)
      await nothingPending(a.code)
      for (const u of us) {
        await nothingPending(u.code)
        expect(await d.store.cancelledBy(u.code)).toBe(ret.made!.code)
      }
      if (fix.done) expect(fix.made!.code).toBe(us[0].code)
      else expect(fix.reply).toContain('已经撤回过了')
    }
  })
})
