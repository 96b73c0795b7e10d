/**
 * A 30-day month of the demo district on real Redis, BullMQ and mock-puppet bots, with a clock the
 * test moves: the daily bulletin S1 (08:00, figures), the tips S2 (19:00, a list of 30) and the
 * typed reminder S3 (21:00, 中子镇 only). Every run goes through the handler the series' job
 * schedulers fire (`onTimer`), or the catch-up a process makes at its start.
 */
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dm, startDistrict, waitFor } from '../helpers.ts'
import { personContactId } from '../../src/sim/world.ts'
import type { SimDistrict } from '../../src/sim/district.ts'
import { seriesOf, type SeriesEngine } from '../../src/features/series/series.ts'
import type { SeriesRun } from '../../src/domain/series.ts'
import { bj, configWithSeries, MONTH_FIXTURE } from './series-helpers.ts'

let d: SimDistrict
let e: SeriesEngine
let clock = bj(1, 6)
const PUBLISHER = 'zhao-min'
const FIGURES = '通报 确诊0 疑似0 隔离32'

/** Curator DMs over the month: approval requests received, 「通过 系列」 sent. */
const approvals = { requests: 0, seriesApprovals: 0 }

beforeAll(async () => {
  const cfg = await configWithSeries(fs.readFileSync(MONTH_FIXTURE, 'utf8'))
  // Thirty simulated days are sent within one real day: the daily budget (counted by the real date) is lifted.
  // Recovery re-queues posts still queued a minute (by the app's clock) after their decision: with a
  // clock that moves hours between two looks, its grace is a simulated month.
  d = await startDistrict({ cfg, now: () => clock, pacing: { perMinute: 60_000, jitterMs: 0, dailyBudget: 100_000 }, recovery: { graceMs: 40 * 86_400_000 } })
  e = seriesOf(d.app)!
  await d.bindEveryone()
}, 60_000)

afterAll(async () => { await d?.close() })

const villages = () => [...d.cfg.nodes.values()].filter(n => n.level === 'village')
const townships = () => [...d.cfg.nodes.values()].filter(n => n.level === 'township')
const publicTopics = (node: string) => d.cfg.nodes.get(node)!.groups.filter(g => g.kind === 'public').map(g => g.topic)
const under = (township: string) => villages().filter(v => v.parent === township)

/** What a series' job scheduler does when it fires (the posts go out in the background). */
async function fire(series: string, at: number): Promise<void> {
  clock = at
  await e.onTimer({ series })
}

/** Each curator of the nodes where a run of `series` waits answers 「通过 系列 <id>」, tier by tier. */
async function approveSeries(series: string, levels: ('township' | 'village')[] = ['township', 'village']): Promise<void> {
  for (const level of levels) {
    for (const node of [...d.cfg.nodes.values()].filter(n => n.level === level)) {
      const pending = await d.store.pendingCodes(node.id)
      const mine = []
      for (const code of pending) if ((await d.store.announcement(code))?.series?.id === series) mine.push(code)
      if (!mine.length) continue
      const reply = await dm(d, node.curators[0], `通过 系列 ${series}`, d.homeBot(node.curators[0]), t => t.startsWith('已通过系列'))
      expect(reply).toContain(series)
      approvals.seriesApprovals++
    }
    await d.idle(30_000, 40)
  }
}

function requestsToCurators(): number {
  let n = 0
  for (const node of d.cfg.nodes.values()) for (const c of node.curators) n += d.world.dmsTo(personContactId(c)).filter(m => m.text.startsWith('【待审核】')).length
  return n
}

describe('a month of series', () => {
  it('carries S1 and S2 to every village group once a day, approved once per tier', async () => {
    const li = 'li-hong' // 中子镇's curator
    for (let day = 1; day <= 30; day++) {
      // Figures before 08:00 (missing on day 15): in chat on day 1, then as the API and CLI hand them in.
      clock = bj(day, 7, 30)
      if (day === 1) expect(await dm(d, PUBLISHER, FIGURES, d.homeBot(PUBLISHER), t => t.startsWith('已收到系列'))).toContain('确诊0')
      else if (day !== 15) expect(await e.submitFigures((await e.def('S1'))!, { 确诊: '0', 疑似: '0', 隔离: String(32 - day) }, PUBLISHER)).toBe(`2026-12-${String(day).padStart(2, '0')}`)
      if (day === 10 || day === 12) {
        clock = bj(day, 7)
        for (const s of ['S1', 'S2']) await dm(d, li, `${day === 10 ? '暂停' : '恢复'} ${s}`, d.homeBot(li), t => t.includes(s))
      }
      if (day === 20) {
        // No process ran timers from 07:50 to 09:30: the 08:00 run is made by the catch-up at start,
        // and the scheduler's late job that fires after it makes nothing more.
        clock = bj(day, 9, 30)
        expect((await e.catchUp()).map(r => r.series)).toEqual(['S1'])
        await fire('S1', bj(day, 9, 31))
      } else {
        await fire('S1', bj(day, 8))
      }
      if (day === 25) {
        // S2's list is edited (the config changed and the process restarted): every tier is asked again.
        const def = d.cfg.series!.series.find(s => s.id === 'S2')!
        if (def.source.kind === 'list') def.source = { ...def.source, items: def.source.items.map((t, i) => i === 24 ? '（修订）心情紧张时可拨打心理援助热线 12356。' : t) }
      }
      await fire('S2', bj(day, 19))
      // S3 waits for a text the publisher has not typed (a reminder); test 2 types one.
      if (day === 19) await fire('S3', bj(day, 21))
      // The posts go out in the background; waited for every few days (they expire after a week).
      if (day % 3 === 0 || day === 1 || day === 25 || day === 30) await d.idle(30_000, 40)
      if (day === 1) { await approveSeries('S1'); await approveSeries('S2') }
      if (day === 25) await approveSeries('S2')
    }

    const runs = async (id: string) => (await e.st.recentRuns(id, 40)).reverse()
    const s1 = await runs('S1')
    const s2 = await runs('S2')
    expect(s1).toHaveLength(30)
    expect(s2).toHaveLength(30)
    expect(s1.filter(r => r.state === 'published')).toHaveLength(29)
    expect(s1[14]).toMatchObject({ state: 'skipped', why: 'no-figures', key: '2026-12-15T08-00' })
    expect(d.world.dmsTo(personContactId(PUBLISHER)).filter(m => m.text.includes('数据还没有提交') && m.text.includes('S1'))).toHaveLength(1)
    expect(s1[19]).toMatchObject({ state: 'published', at: bj(20, 9, 30) })
    expect(s2.every(r => r.state === 'published')).toBe(true)

    // Every village group: one post of each run a day; 中子镇's villages none on days 10 and 11.
    const paused = new Set(under('zhongzi').map(v => v.id))
    const perGroup = new Map<string, number>()
    for (const [id, list] of [['S1', s1], ['S2', s2]] as [string, SeriesRun[]][]) {
      for (const [i, run] of list.entries()) {
        if (!run.code) continue
        const day = i + 1
        for (const v of villages()) {
          for (const topic of publicTopics(v.id)) {
            const n = d.world.postsIn(topic, run.code).length
            const expected = paused.has(v.id) && (day === 10 || day === 11) ? 0 : 1
            expect(n, `${id} day ${day} in ${topic}`).toBe(expected)
            perGroup.set(`${id} ${topic}`, (perGroup.get(`${id} ${topic}`) ?? 0) + n)
          }
        }
      }
    }
    // The tips went out in order; the edited one on day 25.
    expect(d.world.postsIn(publicTopics('yangmu-qinggang')[0], s2[24].code!)[0].text).toContain('（修订）')

    // Approvals: once per series and node (S2 twice, after its edit), never per run.
    const nodes = townships().length + villages().length
    approvals.requests = requestsToCurators()
    expect(approvals.seriesApprovals).toBe(nodes * 3)
    expect(approvals.requests).toBe(nodes * 3)
    const before = 29 * nodes
    console.log(`[series-month] S1: 29 runs published, 1 skipped (no figures), day 20 made late at 09:30 once; S2: 30 runs; ${villages().length} villages, ${nodes} nodes below the district.`)
    console.log(`[series-month] curators' approvals for the daily bulletin S1 this month: before ${before} (one per run per node), after ${nodes} (once per node); with the edit of S2: ${nodes * 2} for S2.`)
    console.log(`[series-month] posts: ${[...perGroup.values()].reduce((a, b) => a + b, 0)} series posts in ${villages().reduce((n, v) => n + publicTopics(v.id).length, 0)} village groups`)
  }, 120_000)

  it('holds a typed run at 23:00 until 07:00 (quiet hours), for 中子镇 only', async () => {
    clock = bj(30, 21)
    const reminders = () => d.world.dmsTo(personContactId(PUBLISHER)).filter(m => m.text.includes('S3') && m.text.includes('还没有提交'))
    expect(reminders()).toHaveLength(1)
    await e.onTimer({ series: 'S3' })
    const reminded = await waitFor('the reminder', () => reminders()[1])
    expect(reminded.text).toContain('系列 S3 正文')
    clock = bj(30, 23)
    const reply = await dm(d, PUBLISHER, '系列 S3 今晚有大风降温，请关好门窗，照顾好家中老人。', d.homeBot(PUBLISHER), t => t.includes('S3'))
    expect(reply).toContain('07:00')
    const run = (await e.st.recentRuns('S3', 1))[0]
    expect(run).toMatchObject({ state: 'held', heldUntil: bj(31, 7) })
    const a = (await d.store.announcement(run.code!))!
    expect(a).toMatchObject({ released: false, scheduledAt: bj(31, 7) })
    await d.idle(30_000, 40)
    expect(await d.store.deliveries(a.code)).toEqual([])
    // 07:00: the release timer (a real BullMQ delayed job) fires; the township and villages approve S3 once.
    clock = bj(31, 7)
    const job = await d.app.timers.queue.getJob(`release-${a.code}`)
    await job!.promote()
    // Released: its relays opened (中子镇 asked, the townships outside the audience withheld).
    await waitFor('the release', async () => { const r = await d.store.relays(a.code); return r.get('zhongzi')?.state === 'pending' && r.get('zengjia')?.state === 'withdrawn' })
    await d.idle(30_000, 40)
    await approveSeries('S3')
    for (const v of under('zhongzi')) for (const topic of publicTopics(v.id)) expect(d.world.postsIn(topic, a.code), topic).toHaveLength(1)
    for (const v of [...under('yangmu'), ...under('zengjia')]) for (const topic of publicTopics(v.id)) expect(d.world.postsIn(topic, a.code), topic).toHaveLength(0)
    expect((await d.store.relays(a.code)).get('yangmu')).toMatchObject({ state: 'withdrawn', reason: 'withheld' })
  }, 60_000)
})
