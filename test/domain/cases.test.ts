import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { readCases } from '../../src/config/cases.ts'
import { Problems } from '../../src/config/yaml-source.ts'
import {
  CASE_CODE_RE, closeDeadline, durationZh, escalationAt, escalationDue, newCaseCode, normalizeReport, parseCaseCommand, takeDeadline,
  type Case,
} from '../../src/domain/cases.ts'
import { ROOT } from '../helpers.ts'

describe('parseCaseCommand', () => {
  it.each([
    ['举报 村口有外地车辆进村', { kind: 'report', caseKind: 'tip', text: '村口有外地车辆进村' }],
    ['举报村口有人聚集打牌', { kind: 'report', caseKind: 'tip', text: '村口有人聚集打牌' }],
    ['@朝天北片值守号 求助：孩子只能喝一种奶粉', { kind: 'report', caseKind: 'help', text: '孩子只能喝一种奶粉' }],
    ['接单 C3F9', { kind: 'take', code: 'C3F9' }],
    ['接单c3f9', { kind: 'take', code: 'C3F9' }],
    ['回复 C3F9 明天上午送到', { kind: 'reply', code: 'C3F9', text: '明天上午送到' }],
    ['办结：Ｃ３Ｆ９ 已送6罐', { kind: 'close', code: 'C3F9', result: '已送6罐' }],
    ['转交 C3F9 东坝村', { kind: 'transfer', code: 'C3F9', to: '东坝村' }],
    ['属实 C3F9', { kind: 'verify', code: 'C3F9' }],
  ])('%j', (text, expected) => {
    expect(parseCaseCommand(text)).toEqual(expected)
  })

  it.each([
    ['举报', '举报'], ['求助 ！', '求助'], ['接单', '接单'], ['接单 A7K2', '接单'], ['回复 C3F9', '回复'],
    ['办结 C3F9', '办结'], ['属实 C3F9 是真的', '属实'], ['转交 C3F9', '转交'],
  ])('%j is malformed', (text, verb) => {
    expect(parseCaseCommand(text)).toEqual({ kind: 'malformed', verb })
  })

  it.each([['收到'], ['回复一下大家'], ['接单了吗'], ['大家好']])('%j is not a case command', text => {
    expect(parseCaseCommand(text)).toBeUndefined()
  })
})

describe('codes and normalization', () => {
  it('makes C-codes of the unambiguous alphabet', () => {
    let seed = 0
    for (let i = 0; i < 200; i++) expect(newCaseCode(() => (seed = (seed + 0.137) % 1))).toMatch(CASE_CODE_RE)
    expect(CASE_CODE_RE.test('C1O0')).toBe(false)
  })

  it('makes codes of five characters after the C and still reads the old three (issue 13)', () => {
    expect(newCaseCode()).toMatch(/^C[A-Z2-9]{5}$/)
    expect(parseCaseCommand('接单 C3F9KX')).toEqual({ kind: 'take', code: 'C3F9KX' })
    expect(parseCaseCommand('办结：ｃ３ｆ９ｋｘ 已送到')).toEqual({ kind: 'close', code: 'C3F9KX', result: '已送到' })
    expect(parseCaseCommand('接单 C3F9')).toEqual({ kind: 'take', code: 'C3F9' })
    expect(parseCaseCommand('接单 C3F9K')).toEqual({ kind: 'malformed', verb: '接单' })
    expect(CASE_CODE_RE.test('C3F9KX')).toBe(true)
    expect(CASE_CODE_RE.test('C3F9KXY')).toBe(false)
  })

  it('treats spacing, width and punctuation as the same report', () => {
    expect(normalizeReport('村口 有人聚集！！')).toBe(normalizeReport('村口有人聚集'))
    expect(normalizeReport('ＡＢＣ 车')).toBe(normalizeReport('abc车'))
    expect(normalizeReport('村口有人聚集')).not.toBe(normalizeReport('村尾有人聚集'))
  })
})

describe('SLAs and escalation', () => {
  const c = { openedAt: 1_000_000, slaFrom: 1_000_000 }
  const sla = { takeWithinMinutes: 10, closeWithinHours: 48 }
  const steps = [{ to: 'node' as const, afterMinutes: 0 }, { to: 'parent' as const, afterMinutes: 5 }]

  it('computes take and close deadlines', () => {
    expect(takeDeadline(c, sla)).toBe(1_000_000 + 600_000)
    expect(closeDeadline(c, sla)).toBe(1_000_000 + 48 * 3_600_000)
    expect(closeDeadline(c, { takeWithinMinutes: 1 })).toBeUndefined()
  })

  it('places escalation steps after the take deadline, each after the previous', () => {
    expect(escalationAt(c, sla, steps, 0)).toBe(1_600_000)
    expect(escalationAt(c, sla, steps, 1)).toBe(1_900_000)
    expect(escalationAt(c, sla, steps, 2)).toBeUndefined()
  })

  it('applies a timer only to a waiting case of the same generation and step', () => {
    const waiting = { state: 'open', generation: 1, escalations: 0 } as Case
    expect(escalationDue(waiting, 1, 0)).toBe(true)
    expect(escalationDue(waiting, 0, 0)).toBe(false)
    expect(escalationDue(waiting, 1, 1)).toBe(false)
    expect(escalationDue({ ...waiting, state: 'taken' }, 1, 0)).toBe(false)
  })

  it('words durations', () => {
    expect(durationZh(0.02)).toBe('1 秒')
    expect(durationZh(10)).toBe('10 分钟')
    expect(durationZh(90)).toBe('1.5 小时')
  })
})

describe('config/cases.yaml', () => {
  it('reads the shipped file', async () => {
    const problems = new Problems()
    const cfg = await readCases(path.join(ROOT, 'config', 'cases.yaml'), problems)
    expect(problems.list).toEqual([])
    expect(cfg?.kinds.tip.takeWithinMinutes).toBe(10)
    expect(cfg?.escalation.map(s => s.to)).toEqual(['node', 'parent'])
    expect(cfg?.reward).toContain('奖励')
  })

  it('reports each problem with its line and what is allowed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cases-'))
    const file = path.join(dir, 'cases.yaml')
    await writeFile(file, [
      'kinds:',
      '  tip: { takeWithinMinutes: -1 }',
      '  help: { takeWithinMinutes: 30, closWithinHours: 48 }',
      'escalation:',
      '  - { to: village, afterMinutes: 0 }',
      'reward: 奖励',
    ].join('\n'))
    const problems = new Problems()
    await readCases(file, problems)
    const found = problems.list.map(p => `${p.line} ${p.path}: ${p.message}`)
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^2 kinds\.tip\.takeWithinMinutes: must be a number ≥ 0/),
      expect.stringMatching(/^3 kinds\.help\.closWithinHours: unknown field .*did you mean "closeWithinHours"/),
      expect.stringMatching(/^5 escalation\[0\]\.to: must be one of: node, parent/),
    ]))
    expect(found).toHaveLength(3)
  })

  it('is optional', async () => {
    const problems = new Problems()
    expect(await readCases(path.join(tmpdir(), 'no-such-dir', 'cases.yaml'), problems)).toBeUndefined()
    expect(problems.list).toEqual([])
  })
})
