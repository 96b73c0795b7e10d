import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ConfigError,
  botsForNode,
  descendants,
  formatProblems,
  loadConfig,
  reportProblems,
  nodePath,
  nodesOfPerson,
  type ConfigProblem,
} from '../../src/config/load.ts'
import { validateCommand } from '../../src/cli/validate.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const demoConfig = path.join(root, 'config')
const demoBots = path.join(root, 'bots')
const fixtureTemplates = path.join(root, 'config/templates.yaml')

// ---- temporary directories -------------------------------------------------------------------

const tmpDirs: string[] = []
afterEach(() => {
  for (const dir of tmpDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
})

function tmpDir(): string {
  const dir = fs.mkdtempSync(os.tmpdir() + '/cascade-cfg-')
  tmpDirs.push(dir)
  return dir
}

// A small valid config; tests change one piece at a time. Line numbers below refer to it.
const NETWORK = `nodes:
  - id: chaotian
    name: 朝天区
    level: district
    groups:
      - { topic: 区工作群, kind: staff }
    publishers: [zhao-min]
    curators: [wang-jun]
  - id: zhongzi
    name: 中子镇
    level: township
    parent: chaotian
    groups:
      - { topic: 中子镇工作群, kind: staff }
    curators: [li-hong]
  - id: zhongzi-xicun
    name: 西村
    level: village
    parent: zhongzi
    groups:
      - { topic: 西村村民群, kind: public }
    curators: [li-hong]
`
const PEOPLE = `people:
  - { id: zhao-min, name: 赵敏 }
  - { id: wang-jun, name: 王军, title: 区委宣传部副部长 }
  - { id: li-hong, name: 李红 }
`
const TEMPLATES = fs.readFileSync(path.join(root, 'config/templates.yaml'), 'utf8')
const BOT = `id: bot-a
name: 测试号
puppet: wechaty-puppet-mock
nodes: [chaotian, zhongzi, zhongzi-xicun]
pacing: { perMinute: 60 }
`

type Files = Record<string, string | null>

/** Writes the base config with `changes` applied (null deletes a file) into a tmp dir. */
function writeConfig(changes: Files = {}): { configDir: string; botsDir: string } {
  const dir = tmpDir()
  const files: Files = {
    'config/network.yaml': NETWORK,
    'config/people.yaml': PEOPLE,
    'config/templates.yaml': TEMPLATES,
    'bots/bot-a.yaml': BOT,
    ...changes,
  }
  fs.mkdirSync(path.join(dir, 'config'))
  fs.mkdirSync(path.join(dir, 'bots'))
  for (const [name, text] of Object.entries(files)) {
    if (text !== null) fs.writeFileSync(path.join(dir, name), text)
  }
  return { configDir: path.join(dir, 'config'), botsDir: path.join(dir, 'bots') }
}

/** Loads a config that must fail and returns its problems. */
async function problemsOf(changes: Files): Promise<ConfigProblem[]> {
  const err = await loadConfig(writeConfig(changes)).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConfigError)
  return (err as ConfigError).problems
}

/** The one problem at `file` (base name) and `at` (path inside it). */
function problemAt(problems: ConfigProblem[], file: string, at: string): ConfigProblem {
  const found = problems.filter((p) => path.basename(p.file) === file && p.path === at)
  expect(found, `no single problem at ${file} ${at}; got:\n${formatProblems(problems)}`).toHaveLength(1)
  return found[0]
}

function replace(text: string, from: string, to: string): string {
  expect(text).toContain(from)
  return text.replace(from, to)
}

// ---- the shipped demo ------------------------------------------------------------------------

describe('the shipped demo config', () => {
  it('loads, with the district, 3 townships and 10 villages', async () => {
    const cfg = await loadConfig({ configDir: demoConfig, botsDir: demoBots, templatesFile: fixtureTemplates })
    const levels = [...cfg.nodes.values()].map((n) => n.level)
    expect(cfg.rootId).toBe('chaotian')
    expect(levels.filter((l) => l === 'district')).toHaveLength(1)
    expect(cfg.children.get('chaotian')).toEqual(['zhongzi', 'yangmu', 'zengjia'])
    expect(levels.filter((l) => l === 'village')).toHaveLength(10)
    expect(cfg.categories).toEqual(['通知', '防疫', '生活保障', '辟谣'])
    expect([...cfg.bots.keys()]).toEqual(['bot-district', 'bot-north', 'bot-south'])
  })

  it('gives every node a staff and a public group, and every non-root node a curator and a backup', async () => {
    const cfg = await loadConfig({ configDir: demoConfig, botsDir: demoBots, templatesFile: fixtureTemplates })
    for (const node of cfg.nodes.values()) {
      expect(node.groups.filter((g) => g.kind === 'staff'), node.id).toHaveLength(1)
      expect(node.groups.some((g) => g.kind === 'public'), node.id).toBe(true)
      if (node.parent) expect([node.curators.length, node.backups.length], node.id).toEqual([1, 1])
    }
    const twoPublic = [...cfg.nodes.values()].filter((n) => n.groups.filter((g) => g.kind === 'public').length === 2)
    expect(twoPublic.length).toBeGreaterThanOrEqual(3)
  })

  it('offers tree and role helpers', async () => {
    const cfg = await loadConfig({ configDir: demoConfig, botsDir: demoBots, templatesFile: fixtureTemplates })
    expect(nodePath(cfg, 'zhongzi-xicun')).toEqual(['chaotian', 'zhongzi', 'zhongzi-xicun'])
    expect(descendants(cfg, 'zhongzi')).toEqual(['zhongzi-xicun', 'zhongzi-dongba', 'zhongzi-shuikou', 'zhongzi-xinjie'])
    expect(descendants(cfg, 'chaotian')).toHaveLength(13)
    expect(botsForNode(cfg, 'yangmu-shimen').map((b) => b.id)).toEqual(['bot-north', 'bot-south'])
    expect(botsForNode(cfg, 'chaotian').map((b) => b.id)).toEqual(['bot-district', 'bot-north'])
    expect(nodesOfPerson(cfg, 'zhao-min')).toEqual([{ nodeId: 'chaotian', role: 'publisher' }])
    expect(nodesOfPerson(cfg, 'chen-gang')).toEqual([{ nodeId: 'zhongzi', role: 'backup' }])
    expect(() => nodePath(cfg, 'nowhere')).toThrow(/unknown node "nowhere"/)
  })
})

// ---- a valid minimal config and its defaults -------------------------------------------------

describe('loadConfig defaults', () => {
  it('fills in lists, pacing, session and categories', async () => {
    const cfg = await loadConfig(writeConfig())
    expect(cfg.nodes.get('zhongzi')).toMatchObject({ backups: [], publishers: [], parent: 'chaotian' })
    expect(cfg.bots.get('bot-a')).toMatchObject({
      session: '.sessions/bot-a',
      pacing: { perMinute: 60, jitterMs: 0, dailyBudget: 5000 },
    })
    expect(cfg.categories).toEqual(['通知', '防疫', '生活保障', '辟谣'])
    expect(cfg.templates.help).toContain('{commands}')
    expect(cfg.people.get('wang-jun')).toEqual({ id: 'wang-jun', name: '王军', title: '区委宣传部副部长' })
  })
})

// ---- each kind of bad config -----------------------------------------------------------------

describe('bad configs', () => {
  it('reports a YAML syntax error with file and line', async () => {
    const problems = await problemsOf({ 'config/network.yaml': replace(NETWORK, 'name: 中子镇', 'name: 中子镇: 中心镇') })
    expect(problemAt(problems, 'network.yaml', '')).toMatchObject({
      line: 10,
      message: 'YAML syntax error: Nested mappings are not allowed in compact mappings',
    })
    // Other files are still checked; nothing is reported against the unparsable network.
    expect(problems).toHaveLength(1)
  })

  it('reports an unknown parent, naming the known nodes', async () => {
    const problems = await problemsOf({ 'config/network.yaml': replace(NETWORK, 'parent: zhongzi\n', 'parent: zhongzi-x\n') })
    expect(problemAt(problems, 'network.yaml', 'nodes[2].parent')).toMatchObject({
      line: 19,
      message: 'unknown node "zhongzi-x" (did you mean "zhongzi"?); known nodes: chaotian, zhongzi, zhongzi-xicun',
    })
  })

  it('reports a bot pointing at an unknown node', async () => {
    const problems = await problemsOf({ 'bots/bot-a.yaml': replace(BOT, 'zhongzi-xicun]', 'zhongzi-xicun, nowhere]') })
    const p = problemAt(problems, 'bot-a.yaml', 'nodes[3]')
    expect(p.line).toBe(4)
    expect(p.message).toBe('unknown node "nowhere"; known nodes: chaotian, zhongzi, zhongzi-xicun (declared in network.yaml)')
  })

  it('reports a duplicate node id, pointing at the first one', async () => {
    const extra = `  - id: zhongzi\n    name: 又一个镇\n    level: township\n    parent: chaotian\n    curators: [li-hong]\n`
    const problems = await problemsOf({ 'config/network.yaml': NETWORK + extra })
    expect(problemAt(problems, 'network.yaml', 'nodes[3].id')).toMatchObject({
      line: 23,
      message: 'duplicate node id "zhongzi"; first defined at nodes[1] (line 9)',
    })
  })

  it('reports duplicate person and bot ids', async () => {
    const problems = await problemsOf({
      'config/people.yaml': PEOPLE + '  - { id: li-hong, name: 李洪 }\n',
      'bots/bot-b.yaml': BOT,
    })
    expect(problemAt(problems, 'people.yaml', 'people[3].id')).toMatchObject({
      line: 5,
      message: 'duplicate person id "li-hong"; first defined at people[2] (line 4)',
    })
    expect(problemAt(problems, 'bot-b.yaml', 'id').message).toMatch(/^duplicate bot id "bot-a"; also in .*bot-a\.yaml \(line 1\)$/)
  })

  it('reports a duplicate group topic, naming both places', async () => {
    const problems = await problemsOf({ 'config/network.yaml': replace(NETWORK, 'topic: 西村村民群', 'topic: 中子镇工作群') })
    expect(problemAt(problems, 'network.yaml', 'nodes[2].groups[0].topic')).toMatchObject({
      line: 21,
      message:
        'duplicate group topic "中子镇工作群"; also used by node "zhongzi" at nodes[1].groups[0] (line 14); groups are found by topic, so topics must be unique',
    })
  })

  it('reports a cycle in parents, naming its nodes', async () => {
    const problems = await problemsOf({ 'config/network.yaml': replace(NETWORK, 'parent: chaotian', 'parent: zhongzi-xicun') })
    expect(problemAt(problems, 'network.yaml', 'nodes[1].parent')).toMatchObject({
      line: 12,
      message: 'cycle in parents: "zhongzi" → "zhongzi-xicun" → "zhongzi"; every chain of parents must end at the district',
    })
  })

  it('reports a curator who is not in people.yaml', async () => {
    const problems = await problemsOf({ 'config/network.yaml': replace(NETWORK, 'curators: [wang-jun]', 'curators: [wang-jn]') })
    expect(problemAt(problems, 'network.yaml', 'nodes[0].curators[0]')).toMatchObject({
      line: 8,
      message: 'unknown person "wang-jn" (did you mean "wang-jun"?); known people: zhao-min, wang-jun, li-hong (declared in people.yaml)',
    })
  })

  it('reports missing required fields with what they should hold', async () => {
    const problems = await problemsOf({
      'config/network.yaml': replace(NETWORK, '    name: 西村\n', ''),
      'bots/bot-a.yaml': replace(BOT, 'puppet: wechaty-puppet-mock\n', ''),
    })
    expect(problemAt(problems, 'network.yaml', 'nodes[2].name')).toMatchObject({
      line: 16,
      message: 'required field missing (the display name, e.g. 西村)',
    })
    expect(problemAt(problems, 'bot-a.yaml', 'puppet').message).toBe(
      'required field missing (wechaty-puppet-mock, wechaty-puppet-wechat4u)',
    )
  })

  it('reports an unknown field, listing the allowed ones (catches typos)', async () => {
    const problems = await problemsOf({ 'config/network.yaml': replace(NETWORK, 'curators: [li-hong]\n', 'curator: [li-hong]\n') })
    expect(problemAt(problems, 'network.yaml', 'nodes[1].curator')).toMatchObject({
      line: 15,
      message:
        'unknown field "curator" (did you mean "curators"?); allowed fields: id, name, level, parent, groups, curators, backups, publishers',
    })
    expect(problemAt(problems, 'network.yaml', 'nodes[1].curators').message).toBe(
      'a township below the district needs at least one curator (a person id from people.yaml)',
    )
  })

  it('reports bad enum values and bad numbers with what is allowed', async () => {
    const problems = await problemsOf({
      'config/network.yaml': replace(replace(NETWORK, 'level: township', 'level: town'), 'kind: public', 'kind: pubic'),
      'bots/bot-a.yaml': replace(replace(BOT, 'puppet: wechaty-puppet-mock', 'puppet: mock'), 'perMinute: 60', 'perMinute: 0, jitterMs: -1'),
    })
    expect(problemAt(problems, 'network.yaml', 'nodes[1].level')).toMatchObject({
      line: 11,
      message: 'must be one of: district, township, village (got "town")',
    })
    expect(problemAt(problems, 'network.yaml', 'nodes[2].groups[0].kind')).toMatchObject({
      line: 21,
      message: 'must be one of: public, staff (got "pubic")',
    })
    expect(problemAt(problems, 'bot-a.yaml', 'puppet').message).toBe(
      'must be one of: wechaty-puppet-mock, wechaty-puppet-wechat4u (got "mock")',
    )
    expect(problemAt(problems, 'bot-a.yaml', 'pacing.perMinute')).toMatchObject({ line: 5, message: 'must be an integer ≥ 1 (got 0)' })
    expect(problemAt(problems, 'bot-a.yaml', 'pacing.jitterMs').message).toBe('must be an integer ≥ 0 (got -1)')
  })

  it('reports missing files and what they should contain', async () => {
    const problems = await problemsOf({ 'config/people.yaml': null, 'bots/bot-a.yaml': null })
    expect(problemAt(problems, 'people.yaml', '').message).toMatch(/^file not found; it should contain everyone who holds a role/)
    expect(problemAt(problems, 'bots', '').message).toMatch(/^no bot files \(\*\.yaml\) found/)
  })

  it('checks the shape of the tree: one district root, townships, villages without children', async () => {
    const grandchild = `  - id: zhongzi-xicun-1zu\n    name: 一组\n    level: village\n    parent: zhongzi-xicun\n    curators: [li-hong]\n`
    const problems = await problemsOf({
      'config/network.yaml': replace(NETWORK, '    parent: chaotian\n', '') + grandchild,
    })
    expect(problemAt(problems, 'network.yaml', 'nodes[1]').message).toMatch(
      /^more than one root: "chaotian" and "zhongzi" both have no parent; only the district may have none/,
    )
    const sibling = grandchild.replace('parent: zhongzi-xicun', 'parent: zhongzi').replace('level: village', 'level: township')
    const levels = await problemsOf({ 'config/network.yaml': NETWORK + sibling })
    expect(problemAt(levels, 'network.yaml', 'nodes[3].level')).toMatchObject({
      line: 25,
      message: 'must be village: children of a township must be villages (got "township")',
    })
  })

  it('reports a village with children and a node no bot serves', async () => {
    const grandchild = `  - id: xicun-1zu\n    name: 一组\n    level: village\n    parent: zhongzi-xicun\n    groups: [{ topic: 一组群, kind: public }]\n    curators: [li-hong]\n`
    const problems = await problemsOf({ 'config/network.yaml': NETWORK + grandchild })
    expect(problemAt(problems, 'network.yaml', 'nodes[3].parent')).toMatchObject({
      line: 26,
      message: 'parent "zhongzi-xicun" is a village; villages cannot have children (district → township → village)',
    })
    expect(problemAt(problems, 'network.yaml', 'nodes[3].groups').message).toMatch(
      /^no bot sits in this node's groups; add "xicun-1zu" to `nodes` of a bot in .*bots\/$/,
    )
  })

  it('requires templates to map string keys to non-empty texts', async () => {
    const problems = await problemsOf({ 'config/templates.yaml': 'hello: ""\nnested:\n  a: b\n7: 七\n' })
    expect(problemAt(problems, 'templates.yaml', 'hello')).toMatchObject({ line: 1, message: 'must be a non-empty string: the text sent in chat (got "")' })
    expect(problemAt(problems, 'templates.yaml', 'nested').message).toBe('must be a non-empty string: the text sent in chat (got a mapping)')
    expect(problemAt(problems, 'templates.yaml', '7')).toMatchObject({ line: 4, message: 'template keys must be strings (got 7)' })
  })

  it('lists several problems across files at once', async () => {
    const problems = await problemsOf({
      'config/network.yaml': replace(replace(NETWORK, 'parent: zhongzi\n', 'parent: nowhere\n'), 'level: district', 'level: county'),
      'config/people.yaml': PEOPLE + '  - { id: zhao-min, name: 赵敏 }\n',
      'config/templates.yaml': TEMPLATES.replace(/^help: .*$/m, 'help: ""'),
      'bots/bot-a.yaml': replace(BOT, 'puppet: wechaty-puppet-mock', 'puppet: wechat'),
    })
    expect(problems.map((p) => `${path.basename(p.file)} ${p.path}`).sort()).toEqual([
      'bot-a.yaml puppet',
      'network.yaml nodes[0].level',
      'network.yaml nodes[2].parent',
      'people.yaml people[3].id',
      'templates.yaml help',
    ])
    const text = formatProblems(problems)
    expect(text.split('\n')).toHaveLength(5)
    expect(text).toMatch(/network\.yaml:19 nodes\[2\]\.parent: unknown node "nowhere"; known nodes: /)
  })
})

// ---- long and odd problem lists (issue 14, item 7) ---------------------------------------------

describe('problem lists a person can read', () => {
  it('names the file of an alias bomb and reads nothing of it', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]']
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd']]) bomb.push(`${name}: &${name} [${Array(9).fill('*' + prev).join(', ')}]`)
    const problems = await problemsOf({ 'config/people.yaml': bomb.join('\n') + '\npeople: *e\n' })
    expect(problems[0]).toMatchObject({ path: '', message: expect.stringMatching(/^YAML aliases \(\*name\) expand too far/) })
    expect(path.basename(problems[0].file)).toBe('people.yaml')
  })

  it('an empty network.yaml is the one problem, not unknown nodes in every other file', async () => {
    const problems = await problemsOf({
      'config/network.yaml': '',
      'config/policies.yaml': 'nodes:\n  zhongzi: { urgent: { remindAfter: 1 } }\n',
      'config/households.yaml': fs.readFileSync(path.join(demoConfig, 'households.yaml'), 'utf8'),
    })
    expect(problems.map((p) => path.basename(p.file))).toEqual(['network.yaml'])
  })

  it('puts root causes first and does not repeat what follows from them', async () => {
    const people = 'people:\n' + Array.from({ length: 500 }, (_, i) => `  - { id: Bad${i}, name: x }`).join('\n') + '\n'
    const problems = await problemsOf({ 'config/people.yaml': people, 'bots/bot-b.yaml': 'id: [\n' })
    const lines = reportProblems(problems)
    expect(lines[0]).toMatch(/bot-b\.yaml:\d+: YAML syntax error/) // a file not read at all, first
    expect(lines[1]).toMatch(/people\.yaml:2 people\[0\]\.id: must be a slug/) // then the file the others depend on
    expect(lines[4]).toMatch(/^  … and 497 more like these in .*people\.yaml, lines 5–501$/)
    expect(lines.join('\n')).not.toContain('unknown person') // the network's references follow from people.yaml
  })

  it('shows at most 50 lines and counts the rest', () => {
    const many: ConfigProblem[] = Array.from({ length: 49_995 }, (_, i) => ({ file: `f${i % 100}.yaml`, line: i, path: `k${i % 100}`, message: `bad ${i % 100}` }))
    const lines = reportProblems(many)
    expect(lines).toHaveLength(51)
    expect(lines[50]).toMatch(/^… and \d+ more problems not shown/)
    const shown = lines.slice(0, 50).reduce((n, l) => n + (/^  … and (\d+) more/.exec(l)?.[1] ? Number(/(\d+)/.exec(l)![1]) : 1), 0)
    expect(Number(/(\d+) more problems/.exec(lines[50])![1])).toBe(49_995 - shown)
  })
})

// ---- the validate command --------------------------------------------------------------------

describe('cascade validate', () => {
  function capture() {
    const out: string[] = []
    const err: string[] = []
    return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err }
  }

  it('prints a summary of the demo config', async () => {
    const { configDir } = writeConfig()
    for (const f of ['network.yaml', 'people.yaml']) fs.copyFileSync(path.join(demoConfig, f), path.join(configDir, f))
    fs.copyFileSync(fixtureTemplates, path.join(configDir, 'templates.yaml'))
    const { io, out } = capture()
    expect(await validateCommand(['--config', configDir, '--bots', demoBots], io)).toBe(0)
    expect(out[0]).toMatch(/^OK: 1 district, 3 townships, 10 villages, \d+ groups, 34 people, 3 bots \(.+\/, .*bots\/\)$/)
  })

  it('says which optional features are off or on defaults, and names files nothing reads', async () => {
    const dirs = writeConfig({ 'config/case.yaml': 'kinds: {}\n', 'config/rumors.yml': 'entries: []\n', 'config/notes.txt': 'x' })
    const { io, out, err } = capture()
    expect(await validateCommand(['--config', dirs.configDir, '--bots', dirs.botsDir], io)).toBe(0)
    const line = (name: string) => out.find((l) => l.trimStart().startsWith(name)) ?? ''
    expect(line('approval policies')).toMatch(/defaults\s+built-in .*no .*policies\.yaml/)
    expect(line('cases')).toMatch(/off\s+no .*cases\.yaml: 举报\/求助 are not handled/)
    expect(line('coverage')).toMatch(/off\s+no .*households\.yaml/)
    expect(line('rumor rebuttal')).toMatch(/off\s+no .*rumors\.yaml/)
    expect(err).toHaveLength(1)
    expect(err[0]).toMatch(/^not read \(unknown names in .*config\/\): case\.yaml \(did you mean "cases\.yaml"\?\), notes\.txt, rumors\.yml \(did you mean "rumors\.yaml"\?\)$/)

    // With the files, each feature says where it comes from; nothing unknown is reported.
    const full = writeConfig({ 'config/policies.yaml': 'defaults:\n  urgent: { remindAfter: 3 }\n' })
    fs.copyFileSync(path.join(demoConfig, 'rumors.yaml'), path.join(full.configDir, 'rumors.yaml'))
    const c = capture()
    expect(await validateCommand(['--config', full.configDir, '--bots', full.botsDir], c.io)).toBe(0)
    expect(c.out.find((l) => l.includes('approval policies'))).toMatch(/on\s+from .*policies\.yaml/)
    expect(c.out.find((l) => l.includes('rumor rebuttal'))).toMatch(/\d+ entries from .*rumors\.yaml/)
    expect(c.err).toEqual([])
  })

  it('lists every problem and exits 1', async () => {
    const dirs = writeConfig({ 'config/people.yaml': null })
    const { io, err } = capture()
    expect(await validateCommand([`--config=${dirs.configDir}`, '--bots', dirs.botsDir], io)).toBe(1)
    expect(err[0]).toBe('1 problem:')
    expect(err.join('\n')).toContain('people.yaml: file not found')
  })

  it('exits 2 with usage on an unknown option', async () => {
    const { io, err } = capture()
    expect(await validateCommand(['--conf', 'x'], io)).toBe(2)
    expect(err.join('\n')).toContain('usage: cascade validate')
  })
})
