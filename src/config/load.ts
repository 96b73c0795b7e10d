/**
 * Loads and validates the Cascade configuration (see types.ts for the on-disk layout).
 *
 * Every file is parsed with yaml's `parseDocument` + `LineCounter`, so each problem can name
 * the file, the path inside it (`nodes[3].parent`) and the line. All problems across all files
 * are collected before a `ConfigError` is thrown; a half-valid config is never returned.
 */
import { checkTemplates } from '../domain/templates.ts'
import { HOUSEHOLDS_FILE, loadHouseholds } from './households.ts'
import { DEFAULT_POLICIES, parsePolicies } from './policies.ts'
import { loadRumorFile } from '../domain/rumor/library.ts'
import { readCases } from './cases.ts'
import { existsSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import { isMap, isScalar } from 'yaml'
import {
  describe, didYouMean, isObj, lineOf, Problems, readSource, Reader, shortList, unknownRef,
  type ConfigProblem, type Fields, type Obj, type Path, type Source,
} from './yaml-source.ts'
import {
  LEVELS,
  PUPPETS,
  type BotConfig,
  type CascadeConfig,
  type GroupConfig,
  type GroupKind,
  type Level,
  type NodeConfig,
  type PersonConfig,
  type RumorChatConfig,
} from './types.ts'

export type { ConfigProblem } from './yaml-source.ts'

/** Thrown by `loadConfig`; lists every problem found in every file. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[]

  constructor(problems: ConfigProblem[]) {
    const n = problems.length
    super(`${n} config problem${n === 1 ? '' : 's'}:\n${formatProblems(problems)}`)
    this.name = 'ConfigError'
    this.problems = problems
  }
}

export interface LoadOptions {
  /** Directory holding network.yaml, people.yaml and templates.yaml. */
  configDir: string
  /** Directory holding one YAML file per bot account. */
  botsDir: string
  /** Overrides `<configDir>/templates.yaml` (tests, alternative wordings). */
  templatesFile?: string
}

/** Categories used when network.yaml has no `categories:`. */
export const DEFAULT_CATEGORIES: readonly string[] = ['通知', '防疫', '生活保障', '辟谣']
const DEFAULT_DAILY_BUDGET = 5000
const GROUP_KINDS: readonly GroupKind[] = ['public', 'staff']

/**
 * Reads `<configDir>/network.yaml`, `people.yaml`, `templates.yaml` and every `*.yaml`/`*.yml`
 * in `botsDir` (sorted by name). Returns the validated config or throws `ConfigError`.
 */
export async function loadConfig(opts: LoadOptions): Promise<CascadeConfig> {
  const problems = new Problems()
  const file = (name: string) => path.join(opts.configDir, name)
  const networkSrc = await readSource(file('network.yaml'), problems, NETWORK_FILE_HINT)
  const peopleSrc = await readSource(file('people.yaml'), problems, PEOPLE_FILE_HINT)
  const templatesSrc = await readSource(opts.templatesFile ?? file('templates.yaml'), problems, TEMPLATES_FILE_HINT)
  // policies.yaml is optional: without it the built-in approval policies apply.
  const policiesSrc = existsSync(file('policies.yaml')) ? await readSource(file('policies.yaml'), problems, '') : undefined
  // cases.yaml is optional: without it the response mechanism (举报/求助) is off.
  const cases = await readCases(file('cases.yaml'), problems)
  // rumors.yaml is optional (no library: no rebuttals); a broken one is a problem like any other.
  const rumors = await readRumorSettings(file('rumors.yaml'), problems)
  const botFiles = await listBotFiles(opts.botsDir, problems)
  const botSrcs = await Promise.all(botFiles.map((f) => readSource(f, problems, BOT_FILE_HINT)))

  const people = peopleSrc && parsePeople(new Reader(peopleSrc, problems))
  const networkReader = networkSrc && new Reader(networkSrc, problems)
  const network = networkReader && parseNetwork(networkReader)
  const templates = templatesSrc ? parseTemplates(new Reader(templatesSrc, problems)) : {}
  const policies = policiesSrc && network ? parsePolicies(new Reader(policiesSrc, problems), new Set(network.nodes.keys())) : DEFAULT_POLICIES
  // households.yaml is optional: without it there are no grids nor household coverage.
  const households = network && people
    ? await loadHouseholds(file(HOUSEHOLDS_FILE), problems, { nodes: new Map([...network.nodes].map(([id, n]) => [id, n.level])), people: new Set(people.map((p) => p.id)) })
    : undefined
  const bots = parseBots(
    botSrcs.filter((s): s is Source => s !== undefined).map((s) => new Reader(s, problems)),
  )

  let rootId: string | undefined
  if (networkReader && network) {
    rootId = checkTree(networkReader, network.nodes)
    if (people) checkPersonRefs(networkReader, network.nodes, people)
    const networkRead = network.nodes.size > 0
    if (networkRead) for (const bot of bots) checkBotNodes(bot, network.nodes)
    const allBotsRead = botSrcs.every((s) => s !== undefined) && botFiles.length > 0
    if (networkRead && allBotsRead) checkCoverage(networkReader, network.nodes, bots, opts.botsDir)
  }

  if (problems.list.length > 0 || !network || !people || rootId === undefined) {
    throw new ConfigError(problems.sorted())
  }
  return {
    configDir: opts.configDir,
    botsDir: opts.botsDir,
    rootId,
    nodes: new Map([...network.nodes].map(([id, n]) => [id, toNodeConfig(n)])),
    children: childrenOf(network.nodes),
    people: new Map(people.map((p) => [p.id, p.person])),
    categories: network.categories,
    templates,
    policies,
    ...(cases ? { cases } : {}),
    ...(households ? { households } : {}),
    ...(rumors ? { rumors } : {}),
    bots: new Map(bots.map((b) => [b.bot.id, b.bot])),
  }
}

/**
 * One line per problem: `config/network.yaml:12 nodes[3].parent: unknown node "x"; …`.
 * File paths are shown relative to the current directory when under it.
 */
export function formatProblems(problems: readonly ConfigProblem[]): string {
  return problems.map(formatProblem).join('\n')
}

function formatProblem(p: ConfigProblem): string {
  const where = displayPath(p.file) + (p.line !== undefined ? `:${p.line}` : '')
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`
}

/** `file` relative to the current directory when it is under it, else unchanged. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file))
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file
}

// ---------------------------------------------------------------------------------------------
// Helpers for the rest of the app

/** Ids from the root down to `id` inclusive, e.g. `['chaotian', 'zhongzi', 'zhongzi-xicun']`. */
export function nodePath(cfg: CascadeConfig, id: string): string[] {
  const out: string[] = []
  for (let cur: string | undefined = id; cur !== undefined; cur = cfg.nodes.get(cur)?.parent) {
    if (!cfg.nodes.has(cur)) throw new Error(`unknown node "${cur}"`)
    out.unshift(cur)
  }
  return out
}

/** Every node below `id` (not `id` itself), depth-first in file order. */
export function descendants(cfg: CascadeConfig, id: string): string[] {
  const out: string[] = []
  for (const child of cfg.children.get(id) ?? []) out.push(child, ...descendants(cfg, child))
  return out
}

/** The bot accounts that sit in `nodeId`'s groups, in bot-file order. */
export function botsForNode(cfg: CascadeConfig, nodeId: string): BotConfig[] {
  return [...cfg.bots.values()].filter((b) => b.nodes.includes(nodeId))
}

export type NodeRole = 'curator' | 'backup' | 'publisher'

/** Every node where `personId` holds a role, in file order (curator, backup, publisher). */
export function nodesOfPerson(cfg: CascadeConfig, personId: string): { nodeId: string; role: NodeRole }[] {
  const out: { nodeId: string; role: NodeRole }[] = []
  for (const node of cfg.nodes.values()) {
    if (node.curators.includes(personId)) out.push({ nodeId: node.id, role: 'curator' })
    if (node.backups.includes(personId)) out.push({ nodeId: node.id, role: 'backup' })
    if (node.publishers.includes(personId)) out.push({ nodeId: node.id, role: 'publisher' })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Files

/**
 * Checks the rumor library (the rumor feature loads its entries itself at start) and returns
 * the chat settings at its top; reports a library that does not load.
 */
async function readRumorSettings(file: string, problems: Problems): Promise<RumorChatConfig | undefined> {
  if (!existsSync(file)) return undefined
  problems.reading(file)
  try {
    const { settings } = await loadRumorFile(file)
    return settings.cooldownMinutes === undefined ? undefined : { cooldownSeconds: settings.cooldownMinutes * 60 }
  } catch (err) {
    const m = /^[^:]*(?::(\d+))?: ([\s\S]*)$/.exec((err as Error).message)
    problems.whole(file, `${m?.[2] ?? (err as Error).message} (entries need: id, claim, rebuttal, category; optional: examples, urls, source)`, m?.[1] ? Number(m[1]) : undefined)
    return undefined
  }
}

const NETWORK_FILE_HINT = 'the tree of nodes (`nodes:` district → townships → villages, with groups and curators)'
const PEOPLE_FILE_HINT = 'everyone who holds a role (`people:` a list of { id, name, title })'
const TEMPLATES_FILE_HINT = 'every chat text the bots send (a mapping `key: text`)'
const BOT_FILE_HINT = 'one bot account (id, name, puppet, session, nodes, pacing)'

/** The `*.yaml` / `*.yml` files of the bots directory, sorted by name. */
async function listBotFiles(dir: string, problems: Problems): Promise<string[]> {
  problems.reading(dir)
  let names: string[]
  try {
    const entries = await readdir(dir, { withFileTypes: true })
    names = entries.filter((e) => e.isFile() && /\.ya?ml$/.test(e.name)).map((e) => e.name)
  } catch {
    problems.whole(dir, `directory not found; it should hold one YAML file per WeChat account: ${BOT_FILE_HINT}`)
    return []
  }
  if (names.length === 0) problems.whole(dir, `no bot files (*.yaml) found; each WeChat account needs one: ${BOT_FILE_HINT}`)
  return names.sort().map((n) => path.join(dir, n))
}

// ---------------------------------------------------------------------------------------------
// people.yaml

const PEOPLE_FIELDS: Fields = { people: { required: true, hint: 'a list of { id, name, title }' } }
const PERSON_FIELDS: Fields = {
  id: { required: true, hint: 'a slug such as zhao-min' },
  name: { required: true, hint: 'the person’s name, e.g. 赵敏' },
  title: { hint: 'what they do, e.g. 中子镇宣传委员' },
}

interface ParsedPerson {
  id: string
  person: PersonConfig
}

function parsePeople(r: Reader): ParsedPerson[] {
  const top = r.mapping(r.src.data, [], PEOPLE_FIELDS)
  if (!top) return []
  const seen = new Map<string, Path>()
  const out: ParsedPerson[] = []
  r.list(top, [], 'people').forEach((raw, i) => {
    const at: Path = ['people', i]
    const obj = r.mapping(raw, at, PERSON_FIELDS)
    if (!obj) return
    const id = r.string(obj, at, 'id', true)
    const name = r.string(obj, at, 'name')
    const title = r.string(obj, at, 'title')
    if (id === undefined) return
    const first = seen.get(id)
    if (first) return r.report([...at, 'id'], `duplicate person id "${id}"; first defined at ${r.place(first)}`)
    seen.set(id, at)
    out.push({ id, person: { id, name: name ?? '', ...(title !== undefined ? { title } : {}) } })
  })
  return out
}

// ---------------------------------------------------------------------------------------------
// templates.yaml

function parseTemplates(r: Reader): Record<string, string> {
  const contents = r.src.doc.contents
  if (!isMap(contents)) {
    r.report([], `must be a mapping of template keys to chat texts (key: text), got ${describe(r.src.data)}`)
    return {}
  }
  const out: Record<string, string> = {}
  for (const pair of contents.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined
    if (typeof key !== 'string') {
      r.report([String(key)], `template keys must be strings (got ${describe(key)})`)
      continue
    }
    const value = (r.src.data as Obj)[key]
    if (typeof value === 'string' && value.trim() !== '') out[key] = value
    else r.report([key], `must be a non-empty string: the text sent in chat (got ${describe(value)})`)
  }
  // A key present but empty was reported above; report only what is missing or misworded.
  for (const p of checkTemplates(out)) if (p.key in out || !Object.hasOwn(r.src.data as Obj, p.key)) r.report([p.key], p.message)
  return out
}

// ---------------------------------------------------------------------------------------------
// network.yaml

const NETWORK_FIELDS: Fields = {
  categories: { hint: `a list of announcement categories, default [${DEFAULT_CATEGORIES.join(', ')}]` },
  nodes: { required: true, hint: 'a list of nodes: the district, its townships, their villages' },
}
const NODE_FIELDS: Fields = {
  id: { required: true, hint: 'a slug such as zhongzi-xicun' },
  name: { required: true, hint: 'the display name, e.g. 西村' },
  level: { required: true, hint: LEVELS.join(', ') },
  parent: { hint: 'the parent node id; absent only on the district' },
  groups: { hint: 'a list of { topic, kind }' },
  curators: { hint: 'a list of person ids' },
  backups: { hint: 'a list of person ids' },
  publishers: { hint: 'a list of person ids' },
}
const GROUP_FIELDS: Fields = {
  topic: { required: true, hint: 'the group name in WeChat' },
  kind: { required: true, hint: GROUP_KINDS.join(', ') },
}
const ROLE_FIELDS = ['curators', 'backups', 'publishers'] as const

interface ParsedNode {
  at: Path
  id: string
  name?: string
  level?: Level
  parent?: string
  groups: GroupConfig[]
  curators: string[]
  backups: string[]
  publishers: string[]
}

interface Network {
  nodes: Map<string, ParsedNode>
  categories: string[]
}

function parseNetwork(r: Reader): Network {
  const top = r.mapping(r.src.data, [], NETWORK_FIELDS)
  const nodes = new Map<string, ParsedNode>()
  if (!top) return { nodes, categories: [...DEFAULT_CATEGORIES] }
  const topics = new Map<string, { at: Path; nodeId: string }>()
  r.list(top, [], 'nodes').forEach((raw, i) => {
    const node = parseNode(r, raw, ['nodes', i], topics)
    if (!node) return
    const first = nodes.get(node.id)
    if (first) r.report([...node.at, 'id'], `duplicate node id "${node.id}"; first defined at ${r.place(first.at)}`)
    else nodes.set(node.id, node)
  })
  if (Array.isArray(top.nodes) && top.nodes.length === 0) r.report(['nodes'], 'must list at least one node: the district')
  return { nodes, categories: parseCategories(r, top) }
}

function parseNode(r: Reader, raw: unknown, at: Path, topics: Map<string, { at: Path; nodeId: string }>): ParsedNode | undefined {
  const obj = r.mapping(raw, at, NODE_FIELDS)
  if (!obj) return undefined
  const id = r.string(obj, at, 'id', true)
  const node: ParsedNode = {
    at,
    id: id ?? '',
    name: r.string(obj, at, 'name'),
    level: r.oneOf(obj, at, 'level', LEVELS),
    parent: r.string(obj, at, 'parent'),
    groups: [],
    curators: r.strings(obj, at, 'curators', 'a person id'),
    backups: r.strings(obj, at, 'backups', 'a person id'),
    publishers: r.strings(obj, at, 'publishers', 'a person id'),
  }
  r.list(obj, at, 'groups').forEach((rawGroup, g) => {
    const gAt: Path = [...at, 'groups', g]
    const group = r.mapping(rawGroup, gAt, GROUP_FIELDS)
    if (!group) return
    const topic = r.string(group, gAt, 'topic')
    const kind = r.oneOf(group, gAt, 'kind', GROUP_KINDS)
    if (topic === undefined) return
    const first = topics.get(topic)
    if (first) {
      const msg = `duplicate group topic "${topic}"; also used by node "${first.nodeId}" at ${r.place(first.at)}; groups are found by topic, so topics must be unique`
      r.report([...gAt, 'topic'], msg)
    } else topics.set(topic, { at: gAt, nodeId: node.id })
    if (kind !== undefined) node.groups.push({ topic, kind })
  })
  return id === undefined ? undefined : node
}

function parseCategories(r: Reader, top: Obj): string[] {
  if (top.categories == null) return [...DEFAULT_CATEGORIES]
  const categories = r.strings(top, [], 'categories', 'a category name')
  if (Array.isArray(top.categories) && top.categories.length === 0) {
    r.report(['categories'], `must list at least one category, e.g. [${DEFAULT_CATEGORIES.join(', ')}]; or leave it out for that default`)
  }
  categories.forEach((c, i) => {
    if (categories.indexOf(c) !== i) r.report(['categories', i], `duplicate category "${c}"`)
  })
  return categories
}

function toNodeConfig(n: ParsedNode): NodeConfig {
  const { at: _at, name, level, ...rest } = n
  return { ...rest, name: name ?? '', level: level ?? 'village' }
}

function childrenOf(nodes: Map<string, ParsedNode>): Map<string, string[]> {
  const children = new Map<string, string[]>([...nodes.keys()].map((id) => [id, []]))
  for (const n of nodes.values()) if (n.parent !== undefined) children.get(n.parent)?.push(n.id)
  return children
}

/** Checks parents, cycles, the single root, levels by depth and curators; returns the root id. */
function checkTree(r: Reader, nodes: Map<string, ParsedNode>): string | undefined {
  for (const n of nodes.values()) {
    if (n.parent !== undefined && !nodes.has(n.parent)) {
      r.report([...n.at, 'parent'], unknownRef('node', 'nodes', n.parent, nodes.keys()))
    }
  }
  checkCycles(r, nodes)
  const rootId = checkRoots(r, nodes)
  if (rootId !== undefined) checkLevels(r, nodes, rootId)
  for (const n of nodes.values()) {
    if (n.parent !== undefined && n.curators.length === 0) {
      r.report([...n.at, 'curators'], `a ${n.level ?? 'node'} below the district needs at least one curator (a person id from people.yaml)`)
    }
  }
  return rootId
}

/** Reports each cycle in the parent links once, naming its nodes. */
function checkCycles(r: Reader, nodes: Map<string, ParsedNode>): void {
  const done = new Set<string>()
  for (const start of nodes.keys()) {
    const chain: string[] = []
    for (let id: string | undefined = start; id !== undefined && nodes.has(id) && !done.has(id); id = nodes.get(id)?.parent) {
      const i = chain.indexOf(id)
      if (i >= 0) {
        const cycle = [...chain.slice(i), id].map((c) => `"${c}"`).join(' → ')
        r.report([...(nodes.get(id)?.at ?? []), 'parent'], `cycle in parents: ${cycle}; every chain of parents must end at the district`)
        break
      }
      chain.push(id)
    }
    for (const id of chain) done.add(id)
  }
}

/** Exactly one node (the district) has no parent; returns it. */
function checkRoots(r: Reader, nodes: Map<string, ParsedNode>): string | undefined {
  const roots = [...nodes.values()].filter((n) => n.parent === undefined)
  if (roots.length === 0 && nodes.size > 0) {
    r.report(['nodes'], 'no root: every node has a parent; the district must have none')
  }
  const [root, ...extra] = roots
  for (const n of extra) {
    const msg = `more than one root: "${root.id}" and "${n.id}" both have no parent; only the district may have none (add parent: one of ${shortList(nodes.keys())})`
    r.report(n.at, msg)
  }
  return root?.id
}

/** The root is the district, its children townships, theirs villages; villages have no children. */
function checkLevels(r: Reader, nodes: Map<string, ParsedNode>, rootId: string): void {
  const expectations = [
    'the root (the node without a parent) must be a district',
    'children of the district must be townships',
    'children of a township must be villages',
  ]
  for (const n of nodes.values()) {
    const depth = depthOf(n, nodes, rootId)
    if (depth === undefined) continue
    if (depth === 3) {
      r.report([...n.at, 'parent'], `parent "${n.parent}" is a village; villages cannot have children (district → township → village)`)
    } else if (depth < 3 && n.level !== undefined && n.level !== LEVELS[depth]) {
      r.report([...n.at, 'level'], `must be ${LEVELS[depth]}: ${expectations[depth]} (got "${n.level}")`)
    }
  }
}

/** Number of parent links up to `rootId`; undefined when the chain is broken, cyclic or ends elsewhere. */
function depthOf(n: ParsedNode, nodes: Map<string, ParsedNode>, rootId: string): number | undefined {
  let depth = 0
  let cur = n
  for (; cur.parent !== undefined; depth++) {
    const next = nodes.get(cur.parent)
    if (!next || depth > nodes.size) return undefined
    cur = next
  }
  return cur.id === rootId ? depth : undefined
}

function checkPersonRefs(r: Reader, nodes: Map<string, ParsedNode>, people: ParsedPerson[]): void {
  const known = people.map((p) => p.id)
  for (const n of nodes.values()) {
    for (const field of ROLE_FIELDS) {
      n[field].forEach((id, i) => {
        if (!known.includes(id)) r.report([...n.at, field, i], `${unknownRef('person', 'people', id, known)} (declared in people.yaml)`)
      })
    }
  }
}

// ---------------------------------------------------------------------------------------------
// bots/*.yaml

const BOT_FIELDS: Fields = {
  id: { required: true, hint: 'a slug such as bot-north' },
  name: { required: true, hint: 'the account’s display name' },
  nickname: { hint: 'the account’s WeChat nickname as members see it (default: name); other accounts in a shared group recognise it by this' },
  puppet: { required: true, hint: PUPPETS.join(', ') },
  session: { hint: 'where the login session is kept, default .sessions/<id>' },
  nodes: { required: true, hint: 'the ids of the nodes whose groups this account sits in' },
  pacing: { required: true, hint: '{ perMinute, jitterMs, dailyBudget }' },
}
const PACING_FIELDS: Fields = {
  perMinute: { required: true, hint: 'messages per minute, an integer ≥ 1' },
  jitterMs: { hint: 'random extra delay in ms, an integer ≥ 0, default 0' },
  dailyBudget: { hint: `messages per day, an integer ≥ 1, default ${DEFAULT_DAILY_BUDGET}` },
  chatBudget: { hint: 'of those, the most for chat (replies to strangers, case DMs, rumor answers), default 20 % of dailyBudget' },
}

interface ParsedBot {
  r: Reader
  bot: BotConfig
}

/** Parses each bot file and reports duplicate bot ids across files. */
function parseBots(readers: Reader[]): ParsedBot[] {
  const out: ParsedBot[] = []
  for (const r of readers) {
    const bot = parseBot(r)
    if (!bot) continue
    const first = out.find((b) => b.bot.id === bot.id)
    if (first) r.report(['id'], `duplicate bot id "${bot.id}"; also in ${displayPath(first.bot.file)} (line ${lineOf(first.r.src, ['id'])})`)
    else out.push({ r, bot })
  }
  return out
}

function parseBot(r: Reader): BotConfig | undefined {
  const obj = r.mapping(r.src.data, [], BOT_FIELDS)
  if (!obj) return undefined
  const id = r.string(obj, [], 'id', true)
  const nodes = r.strings(obj, [], 'nodes', 'a node id')
  nodes.forEach((n, i) => {
    if (nodes.indexOf(n) !== i) r.report(['nodes', i], `node "${n}" is listed twice`)
  })
  if (Array.isArray(obj.nodes) && obj.nodes.length === 0) r.report(['nodes'], 'must list at least one node id')
  const bot = {
    id: id ?? '',
    name: r.string(obj, [], 'name') ?? '',
    nickname: r.string(obj, [], 'nickname') ?? r.string(obj, [], 'name') ?? '',
    puppet: r.oneOf(obj, [], 'puppet', PUPPETS) ?? PUPPETS[0],
    session: r.string(obj, [], 'session') ?? `.sessions/${id}`,
    nodes,
    pacing: parsePacing(r, obj),
    file: r.src.file,
  }
  return id === undefined ? undefined : bot
}

function parsePacing(r: Reader, obj: Obj): BotConfig['pacing'] {
  const at: Path = ['pacing']
  const pacing = obj.pacing == null ? undefined : r.mapping(obj.pacing, at, PACING_FIELDS)
  if (!pacing) return { perMinute: 1, jitterMs: 0, dailyBudget: DEFAULT_DAILY_BUDGET }
  return {
    perMinute: r.integer(pacing, at, 'perMinute', 1) ?? 1,
    jitterMs: r.integer(pacing, at, 'jitterMs', 0, 0) ?? 0,
    dailyBudget: r.integer(pacing, at, 'dailyBudget', 1, DEFAULT_DAILY_BUDGET) ?? DEFAULT_DAILY_BUDGET,
    ...(pacing.chatBudget == null ? {} : { chatBudget: r.integer(pacing, at, 'chatBudget', 1) }),
  }
}

function checkBotNodes({ r, bot }: ParsedBot, nodes: Map<string, ParsedNode>): void {
  bot.nodes.forEach((id, i) => {
    if (!nodes.has(id)) r.report(['nodes', i], `${unknownRef('node', 'nodes', id, nodes.keys())} (declared in network.yaml)`)
  })
}

/** Every node with groups must be served by at least one bot. */
function checkCoverage(r: Reader, nodes: Map<string, ParsedNode>, bots: ParsedBot[], botsDir: string): void {
  const served = new Set(bots.flatMap((b) => b.bot.nodes))
  for (const n of nodes.values()) {
    if (n.groups.length > 0 && !served.has(n.id)) {
      r.report([...n.at, 'groups'], `no bot sits in this node's groups; add "${n.id}" to \`nodes\` of a bot in ${displayPath(botsDir)}/`)
    }
  }
}
