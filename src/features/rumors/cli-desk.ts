/**
 * `cascade rumor` for curators and operators, on the district's Redis (REDIS_URL, CASCADE_NS):
 * `list`, `suggestions` (what waits for a curator), `decide S12 是|忽略|辟谣 …` (the chat command's
 * code path, desk.ts), `review` (who taught the library what), `undo L12|R35`, `export` (the grown
 * library as YAML).
 */
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Writable } from 'node:stream'
import { dump as toYaml } from 'js-yaml'
import { compose } from '../../app/compose.ts'
import { loadConfig } from '../../config/load.ts'
import { parseRumorCommand } from '../../domain/rumor/chat.ts'
import { grownEntries } from '../../domain/rumor/learning.ts'
import { loadRumorLibrary, type RumorEntry } from '../../domain/rumor/library.ts'
import { silentLogger } from '../../infra/log.ts'
import { newRedis, redisUrlFromEnv } from '../../infra/redis.ts'
import { requireRedis } from '../../infra/redis-reach.ts'
import { Keys } from '../../store/keys.ts'
import { openRumorDesk, type RumorDesk, type RumorsHost } from './desk.ts'
import { RumorStore, type StoredRumor } from './store.ts'

/** Streams and environment of a command (injectable for tests). */
export interface DeskIO {
  stdout: Writable
  stderr: Writable
  env?: NodeJS.ProcessEnv
}

/** A failure the operator can act on (exit code 1, the message on stderr). */
export class DeskError extends Error {}

interface DeskContext {
  app: RumorsHost
  desk: RumorDesk
  rumors: RumorStore
  file: string
}

/** Runs `fn` with the rumor desk of the app on REDIS_URL / CASCADE_NS, for the config in `configDir`. */
export async function withRumorDesk<T>(io: DeskIO, dirs: { config: string; bots: string }, fn: (c: DeskContext) => Promise<T>): Promise<T> {
  const env = io.env ?? process.env
  const cfg = await loadConfig({ configDir: dirs.config, botsDir: dirs.bots })
  const url = redisUrlFromEnv(env)
  await requireRedis(url)
  const c = compose({ cfg, redisUrl: url, ns: env.CASCADE_NS, log: silentLogger })
  try {
    const { desk, rumors } = openRumorDesk(c.app)
    return await fn({ app: c.app, desk, rumors, file: cfg.rumors?.library ?? path.join(cfg.configDir, 'rumors.yaml') })
  } finally {
    await c.close()
  }
}

const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ')

/** `rumor suggestions [--all]`: open suggestions (all with --all), oldest first. */
export async function suggestionsCommand(c: DeskContext, io: DeskIO, all: boolean, json: boolean): Promise<number> {
  const list = (await c.rumors.suggestions()).filter(s => all || s.state === 'open').sort((a, b) => a.createdAt - b.createdAt)
  if (json) {
    io.stdout.write(`${JSON.stringify(list)}\n`)
    return 0
  }
  if (list.length === 0) io.stdout.write(all ? 'no suggestions\n' : 'nothing waits for a curator\n')
  for (const s of list) {
    const where = s.topic ? `group ${s.topic}` : `DM check (${c.app.nodeName(s.node)})`
    const candidate = s.candidate ? `${s.candidate} ${s.score.toFixed(2)}` : 'no candidate'
    const state = s.state === 'open' ? 'open' : `${s.state} by ${s.decidedBy ? c.app.personName(s.decidedBy) : '?'}`
    io.stdout.write(`${s.code.padEnd(5)} ${when(s.createdAt)}  ${state}  node ${s.node} (${c.app.nodeName(s.node)})  ${where}  candidate ${candidate}\n      “${s.text.replace(/\s+/gu, ' ')}”\n`)
  }
  if (!all && list.length) io.stdout.write(`\n${list.length} open; answer with: cascade rumor decide <S…> 是|忽略|辟谣 <辟谣内容> --as <person>\n`)
  return 0
}

/** `rumor decide S12 是|忽略|辟谣 [text] --as PERSON`: the chat command, as that curator. */
export async function decideCommand(c: DeskContext, io: DeskIO, args: readonly string[], person: string | undefined): Promise<number> {
  const [code, verb, ...text] = args
  if (!code || !verb || !['是', '忽略', '辟谣'].includes(verb)) throw new DeskError('decide needs a suggestion code and 是, 忽略 or 辟谣 (with the rebuttal): cascade rumor decide S12 是 --as <person>')
  if (!person) throw new DeskError('decide needs --as <person>: the curator on whose behalf it is decided (recorded as who decided)')
  if (!c.app.cfg.people.has(person)) throw new DeskError(`unknown person "${person}" (people.yaml of the config)`)
  const cmd = parseRumorCommand(`${verb} ${code.toUpperCase()} ${text.join(' ')}`.trim())
  if (!cmd || cmd.kind === 'check' || cmd.kind === 'broadcast' || cmd.kind === 'malformed') {
    throw new DeskError(verb === '辟谣' ? '辟谣 needs the rebuttal text: cascade rumor decide S12 辟谣 <辟谣内容> --as <person>' : `cannot read "${args.join(' ')}" as a decision`)
  }
  const before = await c.rumors.suggestion(cmd.code)
  io.stdout.write(`${await c.desk.decide(person, cmd)}\n`)
  const after = await c.rumors.suggestion(cmd.code)
  const done = before?.state === 'open' && after?.state !== 'open' && after?.decidedBy === person
  io.stderr.write(done ? `${cmd.code} decided as ${person}; the bots send what it calls for when they run\n` : `${cmd.code} not decided (see the answer above)\n`)
  return done ? 0 : 1
}

/** `rumor review`: what curators taught the library, who and when, oldest first (undone marked). */
export async function reviewCommand(c: DeskContext, io: DeskIO, json: boolean): Promise<number> {
  const [entries, learned] = await Promise.all([c.rumors.entries(), c.rumors.learned()])
  if (json) {
    io.stdout.write(`${JSON.stringify({ entries, learned })}\n`)
    return 0
  }
  const rows = [
    ...entries.map(e => ({ at: e.addedAt, line: `${e.id.padEnd(5)} ${when(e.addedAt)}  new entry by ${c.app.personName(e.addedBy)} (${e.addedBy})${e.fromSuggestion ? ` from ${e.fromSuggestion}` : ''}: ${e.claim}${e.removed ? `  [undone by ${e.removed.by}]` : ''}` })),
    ...learned.map(r => ({ at: r.at, line: `${r.code.padEnd(5)} ${when(r.at)}  ${r.kind === 'example' ? 'example of' : 'near miss of'} ${r.rumor} by ${c.app.personName(r.decidedBy)} (${r.decidedBy})${r.suggestion ? ` from ${r.suggestion}` : ''}, said in ${r.source}: ${r.text}${r.undone ? `  [undone by ${r.undone.by}]` : ''}` })),
  ].sort((a, b) => a.at - b.at)
  if (rows.length === 0) io.stdout.write('curators have taught the library nothing yet\n')
  for (const r of rows) io.stdout.write(`${r.line}\n`)
  if (rows.length) io.stdout.write('\nundo one with: cascade rumor undo <L…|R…> --as <person>\n')
  return 0
}

/** `rumor undo L12|R35 --as PERSON`: a curator of the node it was decided for (or of the district) takes it back. */
export async function undoCommand(c: DeskContext, io: DeskIO, ref: string | undefined, person: string | undefined): Promise<number> {
  if (!ref || !/^[LR]\d+$/i.test(ref)) throw new DeskError('undo needs what to take back: a learned wording L12 or a curator entry R35 (cascade rumor review lists them)')
  if (!person || !c.app.cfg.people.has(person)) throw new DeskError('undo needs --as <person>: a curator of the node it was decided for, or of the district')
  const code = ref.toUpperCase()
  const learned = code.startsWith('L') ? (await c.rumors.learned()).find(r => r.code === code) : undefined
  const entry = code.startsWith('R') ? (await c.rumors.entries()).find(e => e.id === code) : undefined
  if (!learned && !entry) throw new DeskError(`${code} is not in the review list (only what curators added can be undone; the library file is edited as a file)`)
  const suggestion = learned?.suggestion ?? entry?.fromSuggestion
  const node = suggestion ? (await c.rumors.suggestion(suggestion))?.node : undefined
  const mine = c.app.approvesFor(person)
  if (!mine.includes(c.app.cfg.rootId) && !(node && mine.includes(node))) throw new DeskError(`${person} is not a curator of ${node ? `${node} (where ${code} was decided)` : 'the district'}`)
  const at = Date.now()
  const done = learned ? await c.rumors.undoLearned(code, person, at) : await c.rumors.removeEntry(code, person, at)
  io.stdout.write(done ? `${code} undone; every bot uses the library without it from its next message\n` : `${code} was already undone\n`)
  return 0
}

/** The grown library: the file's entries with their learned examples, then the curators' entries. */
export async function grownLibrary(c: Pick<DeskContext, 'rumors' | 'file'>): Promise<RumorEntry[]> {
  const [file, stored, learned] = await Promise.all([loadRumorLibrary(c.file), c.rumors.entries(), c.rumors.learned()])
  const ids = new Set(file.map(e => e.id))
  const added = stored.filter(e => !e.removed && !ids.has(e.id)).map(({ id, claim, rebuttal, examples, urls, category, source }) => ({ id, claim, rebuttal, examples, urls, category, source }))
  return grownEntries([...file, ...added], learned)
}

/** `rumor export [--out FILE]`: the grown library as YAML, in the library file's format. */
export async function exportCommand(c: DeskContext, io: DeskIO, out: string | undefined): Promise<number> {
  const entries = await grownLibrary(c)
  const text = `# ${c.file} grown by curators' decisions (cascade rumor export, ${new Date().toISOString()})\n${toYaml({ rumors: entries }, { lineWidth: -1 })}`
  if (out) {
    writeFileSync(out, text)
    io.stderr.write(`wrote ${entries.length} rumors to ${out}\n`)
  } else io.stdout.write(text)
  return 0
}

/** How long `list` waits for Redis before listing the file alone. */
const REDIS_CONNECT_TIMEOUT_MS = 1500

/**
 * The entries curators added from chat (not undone), from the Redis of REDIS_URL under CASCADE_NS.
 * When Redis does not answer, says so on stderr and returns none (the file's entries are still listed).
 */
export async function curatorEntries(io: DeskIO): Promise<StoredRumor[]> {
  return readRumorStore(io, 'cascade rumor list', 'curator-added entries are not shown', [], async store => (await store.entries()).filter(e => !e.removed))
}

/**
 * Reads the rumor records of REDIS_URL under CASCADE_NS with a short-lived connection that gives up
 * at once: when Redis does not answer, says so on stderr (`command: … did not answer (why); <without>`)
 * and returns `fallback`, so a read-only command still answers from the files.
 */
export async function readRumorStore<T>(io: DeskIO, command: string, without: string, fallback: T, read: (store: RumorStore) => Promise<T>): Promise<T> {
  const env = io.env ?? process.env
  const url = redisUrlFromEnv(env)
  const redis = newRedis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: REDIS_CONNECT_TIMEOUT_MS })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    return await read(new RumorStore(redis, new Keys(env.CASCADE_NS ?? 'cascade').base))
  } catch (err) {
    io.stderr.write(`${command}: Redis at ${url} did not answer (${(err as Error).message}); ${without}\n`)
    return fallback
  } finally {
    redis.disconnect()
  }
}
