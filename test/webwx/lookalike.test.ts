/**
 * Issue 23, item 1: a group is never taken for a configured one on its name alone. Real client
 * (wechaty-puppet-wechat4u) against the simulated web-WeChat server, real Redis and BullMQ.
 * Each test first stages the attack (before, the look-alike took the village's notices and its
 * outsider's 收到 counted), then shows it refused, and ends with a notice in every real group once.
 */
import { describe, expect, it } from 'vitest'
import { demoConfig, waitFor } from '../helpers.ts'
import type { WebWxDistrict } from '../../src/sim/webwx-district.ts'
import { closeDistrictsAfterEach, publicTopics, readyOf, servedTopics, staffTopic, startDistrict, unreviewed } from './district-helpers.ts'

const districts = closeDistrictsAfterEach()
const BOTS = ['bot-district', 'bot-north']

function opsSaid(d: WebWxDistrict, ...words: string[]): boolean {
  return d.server.messagesIn(staffTopic(d.cfg, d.cfg.rootId)).some(m => words.every(w => m.text.includes(w)))
}

/** The real groups (world keys = topics) have the notice once; the look-alike has nothing from any account. */
async function everyRealGroupOnce(d: WebWxDistrict, code: string, fake: string): Promise<void> {
  const topics = servedTopics(d)
  await waitFor(`${code} in all ${topics.length} groups`, () => topics.every(t => d.postsIn(t, code).length >= 1), 30_000)
  await d.idle()
  for (const t of topics) expect(d.postsIn(t, code), t).toHaveLength(1)
  expect(d.server.messagesIn(fake).filter(m => BOTS.includes(m.from))).toEqual([])
}

describe('a group under a village group\'s name', () => {
  it('is not taken on its name: the outsider\'s group gets no notice, its 收到 does not count; the real group, recognised by its members, does', async () => {
    const cfg = unreviewed(await demoConfig())
    const d = districts.track(await startDistrict({ cfg, bots: BOTS }))
    await d.bindEveryone()
    const topic = publicTopics(cfg, 'zhongzi-xicun')[0]
    // The account restarts without the real group in its list (not saved to contacts), and a
    // group of the same name holds it and an outsider.
    await d.stopBot('bot-north')
    d.server.world.group(topic).unsaved.add('bot-north')
    d.server.addUser({ key: 'outsider', nickname: '路人甲' })
    d.server.addGroup({ key: 'fake-xicun', topic, members: ['bot-north', 'outsider'] })
    await d.startBot('bot-north')
    expect(d.runtimes.get('bot-north')!.missingGroups).toContain(topic)
    const curator = cfg.nodes.get('zhongzi-xicun')!.curators[0]
    await waitFor('the village curator told, with how to confirm', () => d.server.dmsTo(curator).some(m => m.text.includes(`确认 ${topic}`)))
    await waitFor('ops told', () => opsSaid(d, topic, '不能只凭群名'))
    d.server.say('outsider', 'fake-xicun', '大家好')
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '今晚8点起西村停水，请提前储水。', severity: 'urgent' })
    const waiting = await waitFor('the real group\'s post waiting, with the reason', async () => {
      const x = await d.store.delivery(a.code, topic)
      return x?.error?.includes('不能只凭群名') ? x : undefined
    }, 20_000)
    expect(waiting.state).toBe('queued')
    d.server.say('outsider', 'fake-xicun', '收到')
    await new Promise(r => setTimeout(r, 1000))
    expect((await d.store.acks(a.code)).size).toBe(0)
    expect(d.server.messagesIn('fake-xicun').filter(m => BOTS.includes(m.from))).toEqual([])
    // The real group speaks: it shows up, its members match the record, and it is taken.
    d.server.say(d.villagersOf(topic)[0], topic, '今天有通知吗？')
    await everyRealGroupOnce(d, a.code, 'fake-xicun')
    expect(d.runtimes.get('bot-north')!.missingGroups).not.toContain(topic)
    expect((await readyOf(d, 'bot-north')).state).toBe('logged in')
  }, 90_000)

  it('two groups of one name at a first login: neither is used, it is said; renamed and confirmed by the curator, the real one gets the notice', async () => {
    const cfg = unreviewed(await demoConfig())
    const d = districts.track(await startDistrict({ cfg, bots: BOTS, autostart: false }))
    const topic = publicTopics(cfg, 'zhongzi-dongba')[0]
    d.server.addUser({ key: 'outsider', nickname: '路人乙' })
    d.server.addGroup({ key: 'fake-dongba', topic, members: ['bot-north', 'outsider'] })
    for (const b of BOTS) await d.startBot(b)
    await d.bindEveryone()
    expect(d.runtimes.get('bot-north')!.missingGroups).toContain(topic)
    await waitFor('ops told of two groups of one name', () => opsSaid(d, '两个群都叫', topic))
    const curator = cfg.nodes.get('zhongzi-dongba')!.curators[0]
    expect(await d.dm(curator, 'bot-north', `确认 ${topic}`, t => t.includes(topic))).toContain('两个群都叫')
    const a = await d.app.publish({ node: 'chaotian', author: 'zhao-min', text: '东坝村明天上午发放救灾物资。', severity: 'urgent' })
    await waitFor('the post waiting, with the reason', async () => (await d.store.delivery(a.code, topic))?.error?.includes('两个群都叫'), 20_000)
    // A stranger may not vouch for a group; the outsider renames theirs; the curator confirms the real one.
    expect(await d.dm('outsider', 'bot-north', `确认 ${topic}`)).not.toContain('已确认')
    d.server.setTopic('fake-dongba', '路人乙的群', 'outsider')
    await waitFor('the curator asked about the one left', () => d.server.dmsTo(curator).some(m => m.text.includes(`确认 ${topic}`)), 20_000)
    expect(await d.dm(curator, 'bot-north', `确认 ${topic}`, t => t.includes('已确认'))).toContain(topic)
    await everyRealGroupOnce(d, a.code, 'fake-dongba')
    expect(d.runtimes.get('bot-north')!.missingGroups).not.toContain(topic)
  }, 90_000)
})
