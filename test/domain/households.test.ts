import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadHouseholds } from '../../src/config/households.ts'
import { Problems } from '../../src/config/yaml-source.ts'
import {
  buildCoverage, DEFAULT_NICKNAME, gridNumber, HouseholdIndex, householdKey, missingHouseholds, villageCoverage,
  type Household, type HouseholdMark, type HouseholdsConfig,
} from '../../src/domain/households.ts'

const hh = (grid: string, name: string, members: string[]): Household => ({ key: householdKey(grid, name), name, grid, members })

const CFG: HouseholdsConfig = {
  deadlines: { urgent: 120 },
  villages: new Map([
    ['xicun', {
      village: 'xicun',
      grids: [
        { id: '1', name: '一组', workers: ['w1'], households: [hh('1', '李德明户', ['李德明', '王秀芝']), hh('1', '张国富户', ['张国富']), hh('1', '王长贵户', ['王长贵', '王秀英'])] },
        { id: '2', name: '二组', workers: ['w2'], households: [hh('2', '陈大山户', ['陈大山', '王秀英']), hh('2', '吴建业户', ['吴建业'])] },
      ],
    }],
    ['qinggang', { village: 'qinggang', nickname: DEFAULT_NICKNAME, grids: [{ id: '3', name: '三组', workers: ['w3'], households: [hh('3', '赵家户', ['赵大'])] }] }],
  ]),
}
const idx = new HouseholdIndex(CFG)

describe('placing members', () => {
  it.each([
    ['xicun', '李德明', '1/李德明户'],
    ['xicun', '王秀芝', '1/李德明户'],
    ['xicun', ' 吴建业 ', '2/吴建业户'],
    ['qinggang', '3组-李翠英', '3/李翠英户'],
    ['qinggang', '三组 李翠英', '3/李翠英户'],
    ['qinggang', '3组12号-李翠英', '3/12号'],
    ['qinggang', '3组-赵大', '3/赵家户'], // nickname + roster: the roster household
    ['qinggang', '赵大', '3/赵家户'],
    ['qinggang', '10组-孙明', '10/孙明户'], // a grid not configured still places the member
  ])('%s: %j → %s', (village, name, key) => {
    const p = idx.locate(village, name)
    expect(p.kind === 'household' ? p.household.key : p).toBe(key)
  })

  it.each([
    ['xicun', '顾建国', 'unknown'],
    ['xicun', '王秀英', 'ambiguous'], // in two households: never guessed
    ['xicun', '3组-李翠英', 'unknown'], // xicun reads no nicknames
    ['qinggang', '李翠英', 'unknown'],
    ['nowhere', '李德明', 'unknown'],
  ])('%s: %j is unassigned (%s)', (village, name, reason) => {
    expect(idx.locate(village, name)).toEqual({ kind: 'unassigned', reason })
  })

  it('reads grid numbers in digits and Chinese', () => {
    expect(['3', '03', '三', '十', '十二', '二十', '二十三', 'east'].map(gridNumber)).toEqual(['3', '3', '3', '10', '12', '20', '23', 'east'])
  })

  it('finds a household by name with or without 户, or by a member, within the grids given', () => {
    expect(idx.findHouseholds('xicun', '李德明户').map(h => h.key)).toEqual(['1/李德明户'])
    expect(idx.findHouseholds('xicun', '李德明').map(h => h.key)).toEqual(['1/李德明户'])
    expect(idx.findHouseholds('xicun', '王秀芝').map(h => h.key)).toEqual(['1/李德明户'])
    expect(idx.findHouseholds('xicun', '王秀英').map(h => h.key)).toEqual(['1/王长贵户', '2/陈大山户'])
    expect(idx.findHouseholds('xicun', '王秀英', [], ['2']).map(h => h.key)).toEqual(['2/陈大山户'])
    expect(idx.findHouseholds('xicun', '李德明户', [], ['2'])).toEqual([])
  })
})

describe('household roll-up', () => {
  const mark = (grid: string, household: string, how: 'ack' | 'notified'): [string, HouseholdMark] =>
    [householdKey(grid, household), { grid, household, how, by: 'x', at: 1 }]

  it('counts a household once, by its first coverage, and lists exactly the missing ones per grid', () => {
    const marks = new Map([mark('1', '李德明户', 'ack'), mark('2', '吴建业户', 'notified')])
    const unassigned = [{ contactId: 'c9', name: '顾建国', topic: 't', acked: true, reason: 'unknown' as const }]
    const cov = villageCoverage(idx, 'xicun', marks, [], unassigned, { members: 9, membersAcked: 4 })
    expect(cov.counts).toEqual({ households: 5, acked: 1, notified: 1, members: 9, membersAcked: 4, unassigned: 1 })
    expect(cov.grids.map(g => [g.grid.id, missingHouseholds(g).map(h => h.name)])).toEqual([
      ['1', ['张国富户', '王长贵户']],
      ['2', ['陈大山户']],
    ])
  })

  it('adds households derived from nicknames to their grid, a new grid without a worker', () => {
    const derived = [hh('3', '李翠英户', []), hh('5', '孙明户', [])]
    const cov = villageCoverage(idx, 'qinggang', new Map([mark('5', '孙明户', 'ack')]), derived, [], { members: 0, membersAcked: 0 })
    expect(cov.grids.map(g => [g.grid.id, g.grid.workers, g.counts.households, g.counts.acked])).toEqual([['3', ['w3'], 2, 0], ['5', [], 1, 1]])
  })

  it('rolls grids up to village, township and district; groups carry the member counts', () => {
    const nodes: Record<string, { name: string; level: 'district' | 'township' | 'village'; children: string[] }> = {
      d: { name: '区', level: 'district', children: ['t'] },
      t: { name: '镇', level: 'township', children: ['xicun', 'qinggang', 'plain'] },
      xicun: { name: '西村', level: 'village', children: [] },
      qinggang: { name: '青杠村', level: 'village', children: [] },
      plain: { name: '无花名册村', level: 'village', children: [] },
    }
    const covX = villageCoverage(idx, 'xicun', new Map([mark('1', '李德明户', 'ack'), mark('1', '张国富户', 'notified')]), [], [], { members: 0, membersAcked: 0 })
    const covQ = villageCoverage(idx, 'qinggang', new Map([mark('3', '赵家户', 'ack')]), [], [], { members: 0, membersAcked: 0 })
    const tree = buildCoverage({
      node: id => nodes[id] && { id, name: nodes[id].name, level: nodes[id].level },
      children: id => nodes[id]?.children ?? [],
      village: id => ({
        coverage: id === 'xicun' ? covX : id === 'qinggang' ? covQ : undefined,
        groups: [{ topic: `${id}群`, members: 10, membersAcked: 3 }],
      }),
    }, 'd')!
    expect(tree.counts).toMatchObject({ households: 6, acked: 2, notified: 1, members: 30, membersAcked: 9 })
    const xicun = tree.children[0].children[0]
    expect(xicun.children.map(c => `${c.level}:${c.name}`)).toEqual(['grid:一组', 'grid:二组', 'group:xicun群'])
    expect(tree.children[0].children[2].counts).toMatchObject({ households: 0, members: 10, membersAcked: 3 })
  })
})

describe('config/households.yaml', () => {
  const dirs: string[] = []
  afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }) })
  const refs = { nodes: new Map<string, string | undefined>([['xicun', 'village'], ['zhongzi', 'township']]), people: new Set(['w1']) }

  async function load(text: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-hh-'))
    dirs.push(dir)
    const file = path.join(dir, 'households.yaml')
    fs.writeFileSync(file, text)
    const problems = new Problems()
    const cfg = await loadHouseholds(file, problems, refs)
    return { cfg, problems: problems.list.map(p => `${p.line} ${p.path}: ${p.message}`) }
  }

  it('is optional', async () => {
    const problems = new Problems()
    expect(await loadHouseholds('/nonexistent/households.yaml', problems, refs)).toBeUndefined()
    expect(problems.list).toEqual([])
  })

  it('reads grids, rosters, nickname patterns and deadlines', async () => {
    const { cfg, problems } = await load(`deadlines: { urgent: 0.5, normal: 720 }
villages:
  - village: xicun
    nickname: '^(?<grid>\\d+)队-(?<name>.+)$'
    grids:
      - grid: 一
        workers: [w1]
        households:
          - { name: 李家, members: [李大, 李二] }
`)
    expect(problems).toEqual([])
    expect(cfg!.deadlines).toEqual({ urgent: 0.5, normal: 720 })
    const v = cfg!.villages.get('xicun')!
    expect(v.grids[0]).toMatchObject({ id: '1', name: '1组', workers: ['w1'], households: [{ key: '1/李家', members: ['李大', '李二'] }] })
    expect(new HouseholdIndex(cfg!).locate('xicun', '2队-孙明')).toMatchObject({ kind: 'household', grid: '2' })
  })

  it('reports each problem with its line, path and what is allowed', async () => {
    const { cfg, problems } = await load(`deadlines: { urgent: soon }
villages:
  - village: zhongzi
    grids: [{ grid: 1, households: [{ name: 甲, members: [a] }] }]
  - village: xicun
    nickname: '^(?<name>.+)$'
    grids:
      - grid: 1
        workers: [w1, nobody]
        households:
          - { name: 李家, members: [李大] }
          - { name: 李家, members: [] }
          - { name: 王家, member: [王大] }
`)
    expect(cfg).toBeUndefined()
    expect(problems).toEqual([
      '1 deadlines.urgent: must be a number ≥ 0 (got "soon")',
      '3 villages[0].village: "zhongzi" is a township; households belong to village nodes',
      '6 villages[1].nickname: must have a named group (?<grid>…) for the grid number; (?<name>…) and (?<household>…) are optional',
      expect.stringMatching(/^9 villages\[1\]\.grids\[0\]\.workers\[1\]: unknown person "nobody".*known people: w1/),
      expect.stringMatching(/^12 villages\[1\]\.grids\[0\]\.households\[1\]\.members: needs at least one member name/),
      expect.stringMatching(/^12 villages\[1\]\.grids\[0\]\.households\[1\]\.name: household "李家" is listed twice in grid 1; first at .*line 11/),
      expect.stringMatching(/^13 villages\[1\]\.grids\[0\]\.households\[2\]\.member: unknown field "member" \(did you mean "members"\?\)/),
      '13 villages[1].grids[0].households[2].members: required field missing (member names as in WeChat, e.g. [李德明, 王秀英])',
    ])
  })
})
