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
})
