/**
 * The series' wiring to BullMQ's own job schedulers, against real Redis and BullMQ (no bots):
 * one scheduler per series with its cron pattern and time zone, its next job at the next local
 * slot, removed with the series; the timers worker runs the run handler when the job fires; a run
 * missed beyond the catch-up window is said skipped once, never made twice.
 */
import fs from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compose, type Composed } from '../../src/app/compose.ts'
import { nextSlot, type SeriesDef } from '../../src/domain/series.ts'
import { seriesOf, type SeriesEngine } from '../../src/features/series/series.ts'
import { seriesApprovals } from '../../src/features/series/install.ts'
import type { Announcement, Relay } from '../../src/domain/announcement.ts'
import { REDIS_URL, waitFor } from '../helpers.ts'
import { bj, configWithSeries, MONTH_FIXTURE } from './series-helpers.ts'

let c: Composed
let e: SeriesEngine
let clock = bj(5, 6)

beforeAll(async () => {
  const cfg = await configWithSeries(fs.readFileSync(MONTH_FIXTURE, 'utf8'))
  c = compose({ cfg, redisUrl: REDIS_URL, ns: `test-series-${Date.now().toString(36)}`, now: () => clock })
  e = seriesOf(c.app)!
})

afterAll(async () => {
  await c.app.timers.queue.obliterate({ force: true })
  await c.app.store.clearNamespace()
  await c.close()
})

describe('series on BullMQ job schedulers', () => {
  it('upserts one scheduler per series with its pattern and time zone, and removes it with the series', async () => {
    const q = c.app.timers.queue
    await e.syncSchedulers()
    const s1 = await q.getJobScheduler('series-S1')
    expect(s1).toMatchObject({ pattern: '0 8 * * *', tz: 'Asia/Shanghai', name: 'series-run' })
    expect(s1!.template?.data).toEqual({ kind: 'series-run', data: { series: 'S1' } })
    // BullMQ computes the next job from the real clock: the next 08:00 in Shanghai.
    expect(s1!.next).toBe(nextSlot('0 8 * * *', 'Asia/Shanghai', Date.now()))
    expect(await q.getJobScheduler('series-S2')).toMatchObject({ pattern: '0 19 * * *', tz: 'Asia/Shanghai' })

    // A series made in the command centre gets its scheduler; removed, the scheduler goes, its job too.
    const web: SeriesDef = { ...(await e.def('S2'))!, id: 'W1', schedule: '工作日 07:30', cron: '30 7 * * 1-5', from: 'web' }
    await e.st.saveWebDef(web)
    await e.syncSchedulers()
    expect(await q.getJobScheduler('series-W1')).toMatchObject({ pattern: '30 7 * * 1-5', tz: 'Asia/Shanghai' })
    expect((await q.getDelayed()).filter(j => j.data.data.series === 'W1')).toHaveLength(1)
    await e.st.removeWebDef('W1')
    expect((await e.syncSchedulers()).removed).toEqual(['series-W1'])
    expect(await q.getJobScheduler('series-W1')).toBeUndefined()
    expect((await q.getDelayed()).filter(j => j.data.data.series === 'W1')).toHaveLength(0)
    // Deleting (the command centre's button) takes only a series made there; series.yaml's stay.
    expect(await e.deleteWebSeries('S1', 'zhao-min')).toBe('config')
    expect(await e.deleteWebSeries('W1', 'zhao-min')).toBe('unknown')
    expect(await q.getJobScheduler('series-S1')).toBeDefined()
    // Upserting again keeps one scheduler and one next job per series.
    await e.syncSchedulers()
    expect((await q.getJobSchedulers()).map(s => s.key).sort()).toEqual(['series-S1', 'series-S2', 'series-S3'])
    expect((await q.getDelayed()).filter(j => j.name === 'series-run')).toHaveLength(3)
  })

  it('runs the handler when the scheduler\'s job fires (the timers worker), once per slot', async () => {
    const q = c.app.timers.queue
    // The worker's start upserts the schedulers and says what was missed: S1's 08:00, 10.5 h ago (skipped).
    clock = bj(5, 18, 30)
    c.app.timers.start()
    expect(await waitFor('the catch-up at start', () => e.st.run('S1', '2026-12-05T08-00'))).toMatchObject({ state: 'skipped', why: 'missed' })
    clock = bj(5, 19, 0)
    const job = (await q.getDelayed()).find(j => j.data.data.series === 'S2')!
    await job.promote()
    const run = await waitFor('the run of S2', async () => { const r = await e.st.run('S2', '2026-12-05T19-00'); return r?.state === 'running' ? undefined : r })
    expect(run).toMatchObject({ state: 'published', item: 0 })
    const a = (await c.app.store.announcement(run.code!))!
    expect(a.series).toMatchObject({ id: 'S2', run: '2026-12-05T19-00' })
    expect(a.text).toContain('勤洗手')
    // The same slot fired again (a second process, a late job) makes nothing.
    expect(await e.runSlot('S2', bj(5, 19))).toBeUndefined()
    expect((await e.st.recentRuns('S2', 10))).toHaveLength(1)
    // After firing, BullMQ has set up the next job of the scheduler.
    await waitFor('the next S2 job', async () => (await q.getDelayed()).some(j => j.data.data.series === 'S2'))
  })

  it('says a run missed beyond the catch-up window skipped, once; a run within it is made late, once', async () => {
    // No process ran timers from before 08:00 until 10:30 on day 6: 2.5 h > 2 h.
    clock = bj(6, 10, 30)
    await e.st.setFigures('S1', '2026-12-06', { 确诊: '0', 疑似: '0', 隔离: '3' })
    const caught = await e.catchUp()
    expect(caught.find(r => r.series === 'S1')).toMatchObject({ state: 'skipped', why: 'missed', key: '2026-12-06T08-00' })
    expect(await e.catchUp()).toEqual([])
    await e.onTimer({ series: 'S1' })
    expect(await e.st.run('S1', '2026-12-06T08-00')).toMatchObject({ state: 'skipped', why: 'missed' })
    // Day 7, back at 09:59 (1 h 59 min late): made once.
    clock = bj(7, 9, 59)
    await e.st.setFigures('S1', '2026-12-07', { 确诊: '1', 疑似: '0', 隔离: '3' })
    const late = (await e.catchUp()).find(r => r.series === 'S1')
    expect(late).toMatchObject({ state: 'published', key: '2026-12-07T08-00' })
    expect((await c.app.store.announcement(late!.code!))!.text).toContain('新增确诊1例')
    expect(await e.catchUp()).toEqual([])
  })

  it('skips a date of the list; figures handed in late serve a run by hand that day', async () => {
    const web: SeriesDef = { ...(await e.def('S1'))!, id: 'W2', skipDates: ['2026-12-08'], from: 'web' }
    await e.st.saveWebDef(web)
    clock = bj(8, 8)
    expect(await e.runSlot('W2', bj(8, 8))).toMatchObject({ state: 'skipped', why: 'skip-date' })
    clock = bj(9, 8)
    expect(await e.runSlot('W2', bj(9, 8))).toMatchObject({ state: 'skipped', why: 'no-figures' })
    clock = bj(9, 9, 15)
    expect(await e.submitFigures(web, { 确诊: '0', 疑似: '0', 隔离: '2' }, 'zhao-min')).toBe('2026-12-09')
    expect(await e.runSlot('W2', clock, { byHand: true })).toMatchObject({ state: 'published', key: '2026-12-09T09-15' })
    clock = bj(9, 10)
    expect(await e.submitFigures(web, { 确诊: '0', 疑似: '0', 隔离: '2' }, 'zhao-min')).toBe('2026-12-10')
    await e.st.removeWebDef('W2')
  })

  it('decides a run\'s relay before its curators are asked: approved once, edited, paused, stopped, per run', async () => {
    const ap = seriesApprovals(e)
    const def = (await e.def('S1'))!
    const hash = e.hash(def)
    const a = { code: 'T001', series: { id: 'S1', hash, run: 'x' } } as Announcement
    const at = (node: string) => ({ code: 'T001', node, state: 'pending' } as Relay)
    expect(await ap.unasked(a, at('zhongzi'))).toBeUndefined()
    await e.st.approve('S1', 'zhongzi', { hash, by: 'li-hong', at: clock })
    expect(await ap.unasked(a, at('zhongzi'))).toBe('series')
    expect(await ap.unasked({ ...a, series: { ...a.series!, hash: 'edited' } }, at('zhongzi'))).toBeUndefined()
    expect(await ap.setPause('li-hong', 'S1', 'pause')).toContain('已暂停系列 S1')
    expect(await ap.unasked(a, at('zhongzi-xicun'))).toBe('withhold')
    expect(await ap.unasked(a, at('yangmu'))).toBeUndefined()
    expect(await ap.setPause('li-hong', 'S1', 'resume')).toContain('已恢复')
    expect(await ap.unasked(a, at('zhongzi'))).toBe('series')
    expect(await ap.setPause('li-hong', 'S1', 'stop')).toContain('已停止')
    expect(await ap.unasked(a, at('zhongzi'))).toBe('withhold')
    await ap.setPause('li-hong', 'S1', 'resume')
    expect(await ap.unasked(a, at('zhongzi'))).toBeUndefined() // stopped: its approval was revoked
    expect(await ap.setPause('sun-li', 'S3', 'pause')).toContain('不经过') // S3 is for 中子镇 only
    expect(await ap.unasked({ ...a, series: { id: 'S3', hash: e.hash((await e.def('S3'))!), run: 'x' } }, at('yangmu'))).toBe('withhold')
    // A node whose policy is per run: asked each time, and 通过 系列 says so.
    e.settings.perRunApproval.push('zengjia')
    await e.st.approve('S1', 'zengjia', { hash, by: 'x', at: clock })
    expect(await ap.unasked(a, at('zengjia'))).toBeUndefined()
    expect(await ap.approve(c.app.cfg.nodes.get('zengjia')!.curators[0], 'S1')).toContain('逐期审核')
    expect((await e.st.logOf('S1')).map(l => l.kind)).toEqual(['pause', 'resume', 'stop', 'resume'])
  })
})
