/** The series' pure rules and config/series.yaml's checks. */
import { describe, expect, it } from 'vitest'
import {
  afterQuietHours, contentHash, fillTemplate, parseFigures, reaches, runKey, scheduleToCron, slotAtOrBefore, templateFields,
} from '../../src/domain/series.ts'
import { parseCommand } from '../../src/domain/commands.ts'
import { ConfigError } from '../../src/config/load.ts'
import { bj, configWithSeries } from '../integration/series-helpers.ts'

const TZ = 'Asia/Shanghai'

describe('series rules', () => {
  it('reads schedules in Chinese or cron, and refuses what is not one', () => {
    expect(scheduleToCron('每天 08:00')).toEqual({ cron: '0 8 * * *' })
    expect(scheduleToCron('每日０７：３０')).toEqual({ cron: '30 7 * * *' })
    expect(scheduleToCron('工作日 19:00')).toEqual({ cron: '0 19 * * 1-5' })
    expect(scheduleToCron('每周日 09:05')).toEqual({ cron: '5 9 * * 0' })
    expect(scheduleToCron('0 8 * * *')).toEqual({ cron: '0 8 * * *' })
    expect(scheduleToCron('每天 24:00')).toMatchObject({ problem: expect.stringContaining('no such time') })
    expect(scheduleToCron('0 25 * * *')).toMatchObject({ problem: expect.stringContaining('not a cron pattern') })
    expect(scheduleToCron('明天早上')).toMatchObject({ problem: expect.stringContaining('每天 08:00') })
  })

  it('finds slots in Beijing time; the slot of a time at the slot is that slot', () => {
    expect(slotAtOrBefore('0 8 * * *', TZ, bj(5, 8))).toBe(bj(5, 8))
    expect(slotAtOrBefore('0 8 * * *', TZ, bj(5, 7, 59))).toBe(bj(4, 8))
    expect(runKey(bj(5, 8), TZ)).toBe('2026-12-05T08-00')
  })

  it('holds non-urgent runs in quiet hours until they end', () => {
    const quiet = { from: '22:00', to: '07:00' }
    expect(afterQuietHours(bj(5, 21, 59), TZ, quiet)).toBe(bj(5, 21, 59))
    expect(afterQuietHours(bj(5, 23), TZ, quiet)).toBe(bj(6, 7))
    expect(afterQuietHours(bj(6, 3), TZ, quiet)).toBe(bj(6, 7))
    expect(afterQuietHours(bj(6, 7), TZ, quiet)).toBe(bj(6, 7))
    expect(afterQuietHours(bj(5, 13), TZ, { from: '12:00', to: '14:00' })).toBe(bj(5, 14))
    expect(afterQuietHours(bj(5, 23), TZ, null)).toBe(bj(5, 23))
  })

  it('fills a template only with every figure, and reads figures as typed in chat', () => {
    const t = '{date}通报：确诊{确诊}例，疑似{疑似}例，隔离{隔离}人。'
    expect(templateFields(t)).toEqual(['确诊', '疑似', '隔离'])
    expect(parseFigures('通报 确诊0 疑似0 隔离32', ['确诊', '疑似', '隔离'])).toEqual({ 确诊: '0', 疑似: '0', 隔离: '32' })
    expect(parseFigures('确诊：１，隔离 = 3', ['确诊', '疑似', '隔离'])).toEqual({ 确诊: '1', 隔离: '3' })
    expect(parseFigures('今天没有', ['确诊'])).toBeUndefined()
    expect(fillTemplate(t, { 确诊: '0', 隔离: '3' }, '2026-12-05')).toMatchObject({ missing: ['疑似'] })
    expect(fillTemplate(t, { 确诊: '0', 疑似: '0', 隔离: '3' }, '2026-12-05')).toEqual({ text: '12月5日通报：确诊0例，疑似0例，隔离3人。', missing: [] })
  })

  it('changes the content hash with the list or template (every tier asked again), not otherwise', () => {
    const a = contentHash({ kind: 'list', items: ['一', '二'], repeat: false })
    expect(contentHash({ kind: 'list', items: ['一', '二'], repeat: true })).toBe(a)
    expect(contentHash({ kind: 'list', items: ['一', '二改'], repeat: false })).not.toBe(a)
    expect(contentHash({ kind: 'template', template: '{x}', fields: ['x'] })).not.toBe(contentHash({ kind: 'template', template: '{y}', fields: ['y'] }))
  })

  it('reaches the audience subtrees and the nodes on the way to them', () => {
    const paths: Record<string, string[]> = { d: ['d'], t1: ['d', 't1'], t2: ['d', 't2'], v1: ['d', 't1', 'v1'] }
    const reach = (n: string) => reaches(['t1'], x => paths[x], n)
    expect(['d', 't1', 'v1'].map(reach)).toEqual([true, true, true])
    expect(reach('t2')).toBe(false)
  })

  it('parses 通过 系列 S1 as the series approval, 通过 A7K2 as before', () => {
    expect(parseCommand('通过 系列 s1')).toEqual({ kind: 'approve-series', id: 'S1' })
    expect(parseCommand('通过：系列S12')).toEqual({ kind: 'approve-series', id: 'S12' })
    expect(parseCommand('通过 A7K2')).toEqual({ kind: 'approve', code: 'A7K2' })
    expect(parseCommand('通过 系列')).toMatchObject({ kind: 'malformed', verb: '通过' })
  })
})

describe('config/series.yaml', () => {
  it('names the file, line, path and what is allowed for each problem', async () => {
    const yaml = `settings:
  quietHours: { from: "22:00", to: 7 }
  perRunApproval: [zhongzi, zhongzl]
series:
  - id: s1
    title: 通报
    schedule: 每天 8点
    publisher: li-hong
    template: "{确诊}"
  - id: S2
    title: 知识
    schedule: "0 19 * * *"
    publisher: zhao-min
    list: [a]
    typed: true
    categry: 防疫
feeds:
  - { id: gov, url: "ftp://x" }
`
    const err = await configWithSeries(yaml).catch(e => e)
    expect(err).toBeInstanceOf(ConfigError)
    const lines = (err as ConfigError).problems.map(p => `${p.line} ${p.path}: ${p.message}`)
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^2 settings\.quietHours\.to: must be a time of day "HH:MM"/),
      expect.stringMatching(/^3 settings\.perRunApproval\[1\]: unknown node "zhongzl" \(did you mean "zhongzi"\?\)/),
      expect.stringMatching(/^5 series\[0\]\.id: must be a short code .*e\.g\. S1/),
      expect.stringMatching(/^7 series\[0\]\.schedule: must be 「每天 08:00」/),
      expect.stringMatching(/^8 series\[0\]\.publisher: unknown publisher "li-hong".*zhao-min/),
      expect.stringMatching(/series\[1\]: give only one of list, template, typed \(got list and typed\)/),
      expect.stringMatching(/^16 series\[1\]\.categry: unknown field "categry" \(did you mean "category"\?\)/),
      expect.stringMatching(/^18 feeds\[0\]\.url: must be an http/),
    ]))
    expect((err as ConfigError).problems.every(p => p.file.endsWith('series.yaml'))).toBe(true)
  })
})
