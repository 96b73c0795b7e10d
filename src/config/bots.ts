/** bots/*.yaml: one file per WeChat account; which nodes each serves, and that every node with groups is served. */
import { readdir } from 'node:fs/promises'
import path from 'node:path'
import type { ParsedNode } from './network.ts'
import { PUPPETS, type BotConfig } from './types.ts'
import { displayPath, lineOf, unknownRef, type Fields, type Obj, type Path, type Problems, type Reader } from './yaml-source.ts'

const DEFAULT_DAILY_BUDGET = 5000
export const BOT_FILE_HINT = 'one bot account (id, name, puppet, session, nodes, pacing)'

/** The `*.yaml` / `*.yml` files of the bots directory, sorted by name. */
export async function listBotFiles(dir: string, problems: Problems): Promise<string[]> {
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
  chatPerContact: { hint: 'of chat, the most answers one contact gets a day (a new case is always answered), default 5 % of chat, at least 3' },
}

export interface ParsedBot {
  r: Reader
  bot: BotConfig
}

/** Parses each bot file and reports duplicate bot ids across files. */
export function parseBots(readers: Reader[]): ParsedBot[] {
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
    ...(pacing.chatPerContact == null ? {} : { chatPerContact: r.integer(pacing, at, 'chatPerContact', 1) }),
  }
}

export function checkBotNodes({ r, bot }: ParsedBot, nodes: Map<string, ParsedNode>): void {
  bot.nodes.forEach((id, i) => {
    if (!nodes.has(id)) r.report(['nodes', i], `${unknownRef('node', 'nodes', id, nodes.keys())} (declared in network.yaml)`)
  })
}

/** Every node with groups must be served by at least one bot. */
export function checkCoverage(r: Reader, nodes: Map<string, ParsedNode>, bots: ParsedBot[], botsDir: string): void {
  const served = new Set(bots.flatMap((b) => b.bot.nodes))
  for (const n of nodes.values()) {
    if (n.groups.length > 0 && !served.has(n.id)) {
      r.report([...n.at, 'groups'], `no bot sits in this node's groups; add "${n.id}" to \`nodes\` of a bot in ${displayPath(botsDir)}/`)
    }
  }
}
