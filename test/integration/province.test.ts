/**
 * A province's notice (issue 28): published once at the province office, handed to every district
 * of province.yaml as a pending relay at the district's root, approved there as the district's own
 * tier, retracted everywhere. Two districts (the demo network twice, each its own namespace and its
 * own simulated WeChat), the office beside them; real Redis, BullMQ and Wechaty on the mock puppet.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { ConnectionOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { UnrecoverableError } from 'bullmq'
import type { Announcement } from '../../src/domain/announcement.ts'
import type { ProvinceConfig } from '../../src/config/province.ts'
import { connectRedis, holdBullConnection } from '../../src/infra/redis.ts'
import { silentLogger } from '../../src/infra/log.ts'
import { handoffKey, receive, retract } from '../../src/features/province/handoff.ts'
import { ProvinceOffice } from '../../src/features/province/office.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { personContactId } from '../../src/sim/world.ts'
import { cascade, clearTestNamespace, demoConfig, dm, publicTopics, REDIS_URL, startDistrict, waitFor } from '../helpers.ts'

const ROOT_CURATOR = 'wang-jun'
const TEXT = '【森林防火】即日起至明年4月30日为全省森林防火紧急期，严禁一切野外用火，上坟祭祖请文明祭扫。'

let districts: SimDistrict[] = []
let office: ProvinceOffice | undefined
let redis: Redis | undefined
let bull: { connection: ConnectionOptions; release(): Promise<void> } | undefined
let provinceNs = ''

afterEach(async () => {
  await office?.close()
  await bull?.release()
  await redis?.quit()
  for (const d of districts) await d.close()
  if (provinceNs) await clearTestNamespace(provinceNs)
  districts = []
  office = undefined
})

const tag = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`

/** Two districts of one province, each bound and running its timers, and the province office. */
async function province(): Promise<{ a: SimDistrict; b: SimDistrict; cfg: ProvinceConfig }> {
  const t = tag()
  provinceNs = `test-prov-${t}`
  const cfg: ProvinceConfig = {
    id: provinceNs, name: '四川省',
    districts: [{ id: 'chaotian', name: '朝天区', ns: `test-pa-${t}` }, { id: 'lizhou', name: '利州区', ns: `test-pb-${t}` }],
  }
  const base = await demoConfig()
  for (const d of cfg.districts) districts.push(await startDistrict({ cfg: { ...base, province: cfg }, ns: d.ns }))
  for (const d of districts) await d.bindEveryone()
  redis = connectRedis(REDIS_URL)
  bull = holdBullConnection(REDIS_URL)
  office = new ProvinceOffice(cfg, redis, bull.connection, silentLogger)
  return { a: districts[0], b: districts[1], cfg }
}

/** The district's announcement for the province's notice, once its root relay is open. */
async function arrived(d: SimDistrict, provinceCode: string): Promise<Announcement> {
  const code = await waitFor(`province notice ${provinceCode} in ${d.store.keys.ns}`, () => d.store.redis.get(d.store.keys.once(handoffKey(provinceNs, provinceCode))))
  await waitFor(`${code}'s root relay`, () => d.store.relay(code, d.cfg.rootId))
  return (await d.store.announcement(code))!
}

function rootPosts(d: SimDistrict, code: string) {
  return publicTopics(d, d.cfg.rootId).flatMap(t => d.world.postsIn(t, code))
}

describe('a province notice, handed down to its districts', () => {
  it('waits at each district\'s root for its curators: one district approves and posts, the other rejects', async () => {
    const { a, b } = await province()
    const { notice, handed } = await office!.publish({ text: TEXT, author: 'ops-cli' })
    expect(handed.every(h => h.ok)).toBe(true)
    const [inA, inB] = [await arrived(a, notice.code), await arrived(b, notice.code)]
    for (const [d, x] of [[a, inA], [b, inB]] as const) {
      expect(x.handoff).toEqual({ province: '四川省', ns: provinceNs, code: notice.code })
      expect((await d.store.relay(x.code, 'chaotian'))?.state).toBe('pending')
      // Nothing is posted before the district's own curator decides.
      expect(rootPosts(d, x.code)).toHaveLength(0)
      await waitFor('the root curator asked', () => d.world.dmsTo(personContactId(ROOT_CURATOR)).find(m => m.text.startsWith('【待审核】') && m.text.includes('四川省转来一条紧急通知') && m.text.includes(x.code)))
    }
    expect(await dm(a, ROOT_CURATOR, `通过 ${inA.code}`)).toContain(inA.code)
    expect(await dm(b, ROOT_CURATOR, `驳回 ${inB.code} 本区已另行部署`)).toContain(inB.code)
    await a.idle()
    await b.idle()
    const posts = rootPosts(a, inA.code)
    expect(posts.length).toBe(publicTopics(a, 'chaotian').length)
    expect(posts[0].text).toContain('—— 四川省发布，朝天区转发 · 编号')
    // Below the root it goes on as any notice: the townships are asked.
    expect((await a.store.relay(inA.code, 'zhongzi'))?.state).toBe('pending')
    expect(rootPosts(b, inB.code)).toHaveLength(0)
    expect(await b.store.relay(inB.code, 'zhongzi')).toBeUndefined()

    const states = await office!.status(notice)
    expect(states.map(s => [s.district.id, s.state, s.localCode])).toEqual([['chaotian', 'approved', inA.code], ['lizhou', 'rejected', inB.code]])
    expect(states[1].reason).toBe('本区已另行部署')
    expect(states[0].groups!.confirmed).toBe(publicTopics(a, 'chaotian').length)
  })

  it('is published once per district however often it is handed (resend, a job run again after a crash)', async () => {
    const { a, b } = await province()
    const { notice } = await office!.publish({ text: TEXT, author: 'ops-cli', severity: 'normal' })
    const first = await arrived(a, notice.code)
    await arrived(b, notice.code)
    await office!.handOut(notice)
    const again = await receive(a.app, { province: { id: provinceNs, name: '四川省' }, code: notice.code, text: TEXT, severity: 'normal', category: '通知', status: 'actual', ackRequired: true, expiresAt: notice.expiresAt })
    expect(again?.code).toBe(first.code)
    await a.idle()
    for (const d of [a, b]) {
      const handedDown = []
      for (const code of await d.store.recentCodes(50)) if ((await d.store.announcement(code))?.handoff) handedDown.push(code)
      expect(handedDown, d.store.keys.ns).toHaveLength(1)
      // One approval request per curator, not one per hand-off.
      expect(d.world.dmsTo(personContactId(ROOT_CURATOR)).filter(m => m.text.startsWith('【待审核】'))).toHaveLength(1)
    }
  })

  it('is retracted everywhere: groups that got it are told once, what waits for a curator is withdrawn', async () => {
    const { a, b } = await province()
    const { notice } = await office!.publish({ text: TEXT, author: 'ops-cli' })
    const [inA, inB] = [await arrived(a, notice.code), await arrived(b, notice.code)]
    await dm(a, ROOT_CURATOR, `通过 ${inA.code}`)
    await a.idle()
    const got = publicTopics(a, 'chaotian')
    const r = await office!.cancel(notice.code, '省指挥部已调整部署')
    expect(r?.handed.every(h => h.ok)).toBe(true)
    await waitFor('retracted in both districts', async () => await a.store.cancelledBy(inA.code) && await b.store.cancelledBy(inB.code))
    await a.idle()
    await b.idle()
    const cancelA = (await a.store.cancelledBy(inA.code))!
    for (const topic of got) expect(a.world.postsIn(topic, cancelA), topic).toHaveLength(1)
    expect(a.world.postsIn(got[0], cancelA)[0].text).toContain('省指挥部已调整部署')
    expect((await a.store.relay(inA.code, 'zhongzi'))?.state).toBe('withdrawn')
    expect((await b.store.relay(inB.code, 'chaotian'))?.state).toBe('withdrawn')
    await waitFor('the root curator of 利州区 told', () => b.world.dmsTo(personContactId(ROOT_CURATOR)).some(m => m.text.includes(`编号 ${inB.code} 的通知已被发布单位撤回`)))
    // Retracting again retracts nothing twice.
    expect((await office!.cancel(notice.code, '再撤'))?.already).toBe(true)
    await a.idle()
    for (const topic of got) expect(a.world.postsIn(topic, cancelA), topic).toHaveLength(1)
    expect((await office!.status(notice)).every(s => s.retracted)).toBe(true)
  })

  it('a retraction that comes before its notice leaves nothing to publish; another province\'s notice is refused', async () => {
    const { a } = await province()
    const from = { id: provinceNs, name: '四川省' }
    const data = { province: from, code: 'P2QR', text: TEXT, severity: 'urgent' as const, category: '通知', status: 'actual' as const, ackRequired: true, expiresAt: Date.now() + 3600_000 }
    await retract(a.app, { province: from, code: 'P2QR', reason: '撤回' })
    expect(await receive(a.app, data)).toBeUndefined()
    expect(await a.store.recentCodes(5)).toHaveLength(0)
    await expect(receive(a.app, { ...data, province: { id: 'other-province', name: '别省' } })).rejects.toBeInstanceOf(UnrecoverableError)
    await expect(receive(a.app, { ...data, province: { id: 'other-province', name: '别省' } })).rejects.toThrow(/this district's province is "test-prov-/)
    expect(await a.store.recentCodes(5)).toHaveLength(0)
    // One that expired before it arrived (the district's timers ran nowhere): its curators are not asked.
    await expect(receive(a.app, { ...data, code: 'P3ST', expiresAt: Date.now() - 1 })).rejects.toThrow(/expired before it arrived/)
    expect(await a.store.recentCodes(5)).toHaveLength(0)
  })
})

describe('cascade province (the office\'s command line)', () => {
  it('publishes, follows each district, hands again and retracts; a bad command line gets its usage', async () => {
    const { a, cfg } = await province()
    const dir = mkdtempSync(path.join(tmpdir(), 'cascade-province-cli-'))
    try {
      writeFileSync(path.join(dir, 'province.yaml'), `id: ${cfg.id}\nname: ${cfg.name}\ndistricts:\n${cfg.districts.map(d => `  - { id: ${d.id}, name: ${d.name}, ns: ${d.ns} }`).join('\n')}\n`)
      const bad = await cascade('province', 'publish', '--config', dir)
      expect(bad.code).toBe(2)
      expect(bad.err).toContain('cascade province publish needs --text')
      expect((await cascade('province', 'launch', '--config', dir)).err).toContain('unknown subcommand "launch"')
      expect((await cascade('province', 'status', '--config', path.join(dir, 'none'))).err).toContain('no ' + path.join(dir, 'none', 'province.yaml'))

      const pub = await cascade('province', 'publish', '--config', dir, '--text', TEXT, '--severity', 'normal')
      expect(pub.code, pub.err).toBe(0)
      const code = pub.out.trim()
      expect(pub.err).toContain(`Published ${code} at 四川省: handed to 2 of 2 districts`)
      const inA = await arrived(a, code)
      await arrived(districts[1], code)
      const status = await cascade('province', 'status', code, '--config', dir)
      expect(status.out).toMatch(new RegExp(`朝天区 \\(chaotian.*waiting for the district's curators as ${inA.code}`))
      expect((await cascade('province', 'resend', code, '--config', dir)).err).toContain(`Handed ${code} again: handed to 2 of 2 districts`)
      expect((await cascade('province', 'cancel', code, '--config', dir)).code).toBe(2)
      const cancelled = await cascade('province', 'cancel', code, '--config', dir, '--reason', '误发')
      expect(cancelled.code, cancelled.err).toBe(0)
      await waitFor('retracted in 朝天区', () => a.store.cancelledBy(inA.code))
      const after = await cascade('province', 'status', code, '--config', dir, '--json')
      const json = JSON.parse(after.out) as { notice: { reason: string }; districts: { state: string; retracted: boolean }[] }
      expect(json.notice.reason).toBe('误发')
      await waitFor('both districts retracted', async () => (await office!.status((await office!.notice(code))!)).every(s => s.retracted))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
