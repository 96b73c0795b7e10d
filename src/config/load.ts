/**
 * Loads and validates the Cascade configuration (see types.ts for the on-disk layout).
 *
 * Every file is parsed with yaml's `parseDocument` + `LineCounter`, so each problem can name
 * the file, the path inside it (`nodes[3].parent`) and the line. All problems across all files
 * are collected before a `ConfigError` is thrown; a half-valid config is never returned.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { loadRumorFile } from '../domain/rumor/library.ts'
import { BOT_FILE_HINT, checkBotNodes, checkCoverage, listBotFiles, parseBots } from './bots.ts'
import { readCases } from './cases.ts'
import { HOUSEHOLDS_FILE, loadHouseholds } from './households.ts'
import { checkPersonRefs, checkTree, childrenOf, parseNetwork, toNodeConfig } from './network.ts'
import { parsePeople } from './people.ts'
import { DEFAULT_POLICIES, parsePolicies } from './policies.ts'
import { parseTemplates } from './templates-file.ts'
import { readSeries, SERIES_FILE } from './series.ts'
import { PROVINCE_FILE, readProvince } from './province.ts'
import { displayPath, Problems, readSource, Reader, type ConfigProblem, type Source } from './yaml-source.ts'
import type { BotConfig, CascadeConfig, RumorChatConfig } from './types.ts'

export type { ConfigProblem } from './yaml-source.ts'
export { displayPath } from './yaml-source.ts'
export { DEFAULT_CATEGORIES } from './network.ts'

/** Thrown by `loadConfig`; lists every problem found in every file. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[]

  constructor(problems: ConfigProblem[]) {
    const n = problems.length
    super(`${n} config problem${n === 1 ? '' : 's'}:\n${reportProblems(problems).join('\n')}`)
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

/**
 * Reads `<configDir>/network.yaml`, `people.yaml`, `templates.yaml` and every `*.yaml`/`*.yml`
 * in `botsDir` (sorted by name). Returns the validated config or throws `ConfigError`.
 */
export async function loadConfig(opts: LoadOptions): Promise<CascadeConfig> {
  const problems = new Problems()
  const file = (name: string) => path.join(opts.configDir, name)
  // Read (and so listed) in the order files depend on each other: people.yaml before the network
  // that names them, the network before the files that name its nodes.
  const peopleSrc = await readSource(file('people.yaml'), problems, PEOPLE_FILE_HINT)
  const networkSrc = await readSource(file('network.yaml'), problems, NETWORK_FILE_HINT)
  const templatesSrc = await readSource(opts.templatesFile ?? file('templates.yaml'), problems, TEMPLATES_FILE_HINT)
  // policies.yaml is optional: without it the built-in approval policies apply.
  const policiesSrc = existsSync(file('policies.yaml')) ? await readSource(file('policies.yaml'), problems, '') : undefined
  // cases.yaml is optional: without it the response mechanism (举报/求助) is off.
  const cases = await readCases(file('cases.yaml'), problems)
  // rumors.yaml is optional (no library: no rebuttals); a broken one is a problem like any other.
  const rumors = await readRumorSettings(file('rumors.yaml'), problems)
  // province.yaml is optional: without it no notice is handed down from a province.
  const province = await readProvince(file(PROVINCE_FILE), problems)
  const botFiles = await listBotFiles(opts.botsDir, problems)
  const botSrcs = await Promise.all(botFiles.map((f) => readSource(f, problems, BOT_FILE_HINT)))

  const people = peopleSrc && parsePeople(new Reader(peopleSrc, problems))
  const networkReader = networkSrc && new Reader(networkSrc, problems)
  const network = networkReader && parseNetwork(networkReader)
  const templates = templatesSrc ? parseTemplates(new Reader(templatesSrc, problems)) : {}
  // Files that name nodes are checked against a network that has nodes: an empty or unreadable
  // network.yaml is the one root cause, not a "known nodes: (none)" in every other file.
  const nodesKnown = network !== undefined && network.nodes.size > 0
  const policies = policiesSrc && nodesKnown ? parsePolicies(new Reader(policiesSrc, problems), new Set(network.nodes.keys())) : DEFAULT_POLICIES
  // households.yaml is optional: without it there are no grids nor household coverage.
  // people.yaml with problems and nobody read: its problems are the cause, not every reference.
  const peopleKnown = people !== undefined && (people.length > 0 || !problems.list.some((p) => p.file === file('people.yaml')))
  const households = nodesKnown && people && peopleKnown
    ? await loadHouseholds(file(HOUSEHOLDS_FILE), problems, { nodes: new Map([...network.nodes].map(([id, n]) => [id, n.level])), people: new Set(people.map((p) => p.id)) })
    : undefined
  // series.yaml is optional: without it there are no recurring bulletins nor inbox feeds.
  const series = await readSeries(file(SERIES_FILE), problems, nodesKnown && people && peopleKnown ? {
    nodes: new Set(network.nodes.keys()), categories: network.categories,
    publishers: [...network.nodes.values()].reduce((m, n) => { for (const p of n.publishers) m.set(p, [...(m.get(p) ?? []), n.id]); return m }, new Map<string, string[]>()),
  } : undefined)
  const bots = parseBots(
    botSrcs.filter((s): s is Source => s !== undefined).map((s) => new Reader(s, problems)),
  )

  let rootId: string | undefined
  if (networkReader && network) {
    rootId = checkTree(networkReader, network.nodes)
    if (people && peopleKnown) checkPersonRefs(networkReader, network.nodes, people)
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
    ...(series ? { series } : {}),
    ...(province ? { province } : {}),
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

/** Problems of one kind shown before the rest of that kind is folded into one line. */
const FOLD_AFTER = 3
/** Lines shown at most; the rest are counted. */
export const MAX_SHOWN = 50

/**
 * The problems for a person to read: in the order given (root causes first, see
 * `Problems.sorted`), problems of one kind (same file, same message but for names and numbers,
 * same path but for list indices) shown 3 times and then folded into one line with their
 * count and lines, and at most `max` lines with a count of the rest.
 */
export function reportProblems(problems: readonly ConfigProblem[], max = MAX_SHOWN): string[] {
  const groups = new Map<string, ConfigProblem[]>()
  for (const p of problems) {
    const key = `${p.file}\0${p.path.replace(/\[\d+\]/g, '[]')}\0${p.message.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N')}`
    const g = groups.get(key)
    if (g) g.push(p)
    else groups.set(key, [p])
  }
  const lines: string[] = []
  let shown = 0
  for (const g of groups.values()) {
    if (lines.length >= max) break
    for (const p of g.slice(0, FOLD_AFTER)) {
      if (lines.length >= max) break
      lines.push(formatProblem(p))
      shown++
    }
    const rest = g.length - FOLD_AFTER
    if (rest > 0 && lines.length < max) {
      const at = g.slice(FOLD_AFTER).map((p) => p.line).filter((l): l is number => l !== undefined)
      const where = at.length ? `, lines ${at[0]}–${at[at.length - 1]}` : ''
      lines.push(`  … and ${rest} more like these in ${displayPath(g[0].file)}${where}`)
      shown += rest
    }
  }
  if (shown < problems.length) lines.push(`… and ${problems.length - shown} more problems not shown; fix those above first (the first ones are the likely causes)`)
  return lines
}

function formatProblem(p: ConfigProblem): string {
  const where = displayPath(p.file) + (p.line !== undefined ? `:${p.line}` : '')
  return p.path ? `${where} ${p.path}: ${p.message}` : `${where}: ${p.message}`
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

