/**
 * The `cascade` command: one entry for ops, the demo and the bots.
 *
 * Starts fast: only this file and the usage text load at start; each command imports what it
 * needs (Redis, BullMQ, Wechaty, Express …) when it runs (npm run bench:cli measures it).
 */
import type { ParseArgsConfig } from 'node:util'
import type { Cascade } from '../spine/cascade.ts'
import type { CascadeConfig } from '../config/types.ts'
import type { Severity } from '../domain/announcement.ts'
import type { Amendment } from '../features/curation/curation.ts'
import { commandNames, USAGE, usageOf } from './usage.ts'
import { configDirs, CONFIG_OPTIONS, parseOptions, UsageError } from './args.ts'

export { USAGE }

/**
 * Language: the CLI speaks English to operators — errors, usage, what a command did; the texts it
 * shows of a notice, a case or a status tree are the Chinese ones staff see in chat. Chat speaks
 * Chinese to people.
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  quietOnClosedPipe()
  try {
    switch (command) {
      case 'validate': return await (await import('./validate.ts')).validateCommand(rest)
      case 'check': return await (await import('./check.ts')).checkCommand(args(rest, CONFIG_OPTIONS).values)
      case 'rumor': return await (await import('../features/rumors/cli.ts')).rumorCommand(rest)
      case 'demo': return await demoCommand(rest)
      case 'run': return await runCommand(rest)
      case 'serve': return await serveCommand(rest)
      case 'invite': return await inviteCommand(rest)
      case 'publish': return await publishCommand(rest)
      case 'status': return await statusCommand(rest)
      case 'coverage': case 'acks': return await (await import('../features/coverage/cli.ts')).runCoverageCli(command, rest)
      case 'cases': return await (await import('../features/cases/cli.ts')).casesCommand(rest)
      case 'case': return await (await import('../features/cases/cli.ts')).caseCommand(rest)
      case 'update': return await amendCommand(rest, 'update')
      case 'cancel': return await amendCommand(rest, 'cancel')
      case 'audit': return await auditCommand(rest)
      case 'series': return await (await import('../features/series/cli.ts')).seriesCommand(rest)
      case 'inbox': return await (await import('../features/series/cli.ts')).inboxCommand(rest)
      case 'province': return await (await import('../features/province/cli.ts')).provinceCommand(rest)
      case 'sessions': return await (await import('./sessions.ts')).sessionsCommand(rest)
      case 'invites': return await (await import('./people.ts')).invitesCommand(rest)
      case 'people': return await (await import('./people.ts')).peopleCommand(rest)
      case 'help': case '--help': case '-h':
        if (rest[0] !== undefined) {
          const one = usageOf(rest[0])
          if (!one) return unknownCommand(rest[0])
          console.log(one)
          return 0
        }
        console.log(USAGE)
        return 0
      case undefined:
        console.error(USAGE)
        return 2
      default:
        return unknownCommand(command)
    }
  } catch (err) {
    const { ConfigError, reportProblems } = await import('../config/load.ts')
    if (err instanceof ConfigError) {
      console.error(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} in the configuration:\n${reportProblems(err.problems).join('\n')}`)
      return 1
    }
    if (err instanceof UsageError) {
      // The command's own usage, not the whole help.
      console.error(`cascade ${command}: ${err.message}\n${usageOf(command ?? '') ?? ''}\n(cascade help ${command} shows this again; cascade help, every command)`)
      return 2
    }
    console.error(err instanceof Error ? err.message : String(err))
    return 1
  }
}

function unknownCommand(command: string): number {
  const names = commandNames()
  const near = names.find((n) => n.startsWith(command.slice(0, 3)) || command.startsWith(n))
  console.error(`unknown command "${command}"${near ? ` (did you mean "${near}"?)` : ''}; commands: ${names.join(', ')}. cascade help <command> shows one.`)
  return 2
}

/** `cascade audit CODE | head -1`: the reader went away; stop quietly, as Unix tools do. */
let pipeWatched = false
function quietOnClosedPipe(): void {
  if (pipeWatched) return
  pipeWatched = true
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Parses options strictly; a command that takes no positional arguments refuses them. */
function args<O extends Options>(argv: string[], options: O, positionals = false) {
  const parsed = parseOptions(argv, options)
  if (!positionals && parsed.positionals.length) throw new UsageError(`unexpected argument "${parsed.positionals[0]}"`)
  return parsed
}

async function config(values: { config?: string | boolean; bots?: string | boolean }): Promise<CascadeConfig> {
  const { loadConfig } = await import('../config/load.ts')
  return loadConfig(configDirs(values))
}

/** The app on the Redis of REDIS_URL, for one-shot commands. */
async function withApp<T>(cfg: CascadeConfig, fn: (app: Cascade) => Promise<T>): Promise<T> {
  const [{ redisUrlFromEnv }, { requireRedis }, { compose }, { cliLogger }] = await Promise.all([
    import('../infra/redis.ts'), import('../infra/redis-reach.ts'), import('../app/compose.ts'), import('./human-log.ts'),
  ])
  await requireRedis(redisUrlFromEnv())
  const log = await cliLogger()
  const c = compose({ cfg, redisUrl: redisUrlFromEnv(), ns: process.env.CASCADE_NS, log })
  try {
    const result = await fn(c.app)
    // What went wrong along the way, in sentences after the answer (no JSON among it).
    for (const line of log.summary(cfg)) console.error(line)
    return result
  } finally {
    await c.close()
  }
}

async function demoCommand(argv: string[]): Promise<number> {
  const { values } = args(argv, { ...CONFIG_OPTIONS, json: { type: 'boolean', default: false }, seed: { type: 'string' }, webwx: { type: 'boolean', default: false }, chaos: { type: 'string' } })
  const chaos = values.chaos === undefined ? undefined : Number(values.chaos)
  if (chaos !== undefined && !(chaos >= 0 && chaos <= 1)) throw new UsageError(`--chaos takes a share of calls between 0 and 1, not "${values.chaos}"`)
  if (chaos && !values.webwx) throw new UsageError('--chaos needs --webwx (faults are injected by the simulated web-WeChat server)')
  const cfg = await config(values)
  const { runDemo } = await import('../sim/demo.ts')
  const json = values.json === true
  // With --json, progress goes to stderr so stdout ends with the one JSON line.
  const out = json ? (line: string) => process.stderr.write(line + '\n') : (line: string) => console.log(line)
  const summary = await runDemo({ cfg, out, seed: values.seed ? Number(values.seed) : undefined, world: values.webwx ? 'webwx' : 'mock', chaos })
  if (json) console.log(JSON.stringify(summary))
  return summary.duplicate_posts === 0 && summary.groups_failed === 0 ? 0 : 1
}

async function serveCommand(argv: string[]): Promise<number> {
  const { values } = args(argv, CONFIG_OPTIONS)
  const cfg = await config(values)
  return (await import('./serve.ts')).serve(cfg)
}

async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = args(argv, { ...CONFIG_OPTIONS, timers: { type: 'boolean', default: false } }, true)
  const given = positionals[0]
  if (!given || positionals.length > 1) throw new UsageError('cascade run needs exactly one bot file, e.g. cascade run bots/bot-north.yaml (or its id, bot-north, in --bots / CASCADE_BOTS)')
  const [path, { loadConfig }] = await Promise.all([import('node:path'), import('../config/load.ts')])
  const dirs = configDirs(values)
  // A bare id is looked up in the bots directory (--bots, CASCADE_BOTS); a path names its own directory.
  const file = /[/\\]|\.ya?ml$/i.test(given) ? given : path.join(dirs.botsDir, `${given}.yaml`)
  const cfg = await loadConfig({ configDir: dirs.configDir, botsDir: path.dirname(file) })
  const bot = [...cfg.bots.values()].find(b => path.resolve(b.file) === path.resolve(file))
  if (!bot) throw new Error(`${file}: not a bot file in ${path.dirname(file)} (bots there: ${[...cfg.bots.values()].map(b => b.file).join(', ')})`)
  return (await import('./run.ts')).runBot(cfg, bot, values.timers === true)
}

async function inviteCommand(argv: string[]): Promise<number> {
  const { values } = args(argv, { ...CONFIG_OPTIONS, person: { type: 'string' }, ttl: { type: 'string', default: '72' } })
  if (!values.person) throw new UsageError('cascade invite needs --person <id>')
  const cfg = await config(values)
  const person = cfg.people.get(String(values.person))
  if (!person) throw new Error(`unknown person "${values.person}"; people in ${cfg.configDir}/people.yaml: ${[...cfg.people.keys()].slice(0, 12).join(', ')}…`)
  const ttl = Number(values.ttl)
  if (!(ttl > 0)) throw new UsageError(`--ttl must be a positive number of hours (got "${values.ttl}")`)
  const code = await withApp(cfg, app => app.createInvite(person.id, ttl))
  console.log(code)
  console.error(`Invite for ${person.name} (${person.id}), valid once for ${ttl} h. They send it to the bot of their node in a private chat.`)
  return 0
}

async function publishCommand(argv: string[]): Promise<number> {
  const { values } = args(argv, {
    ...CONFIG_OPTIONS, node: { type: 'string' }, text: { type: 'string' },
    severity: { type: 'string', default: 'urgent' }, category: { type: 'string' }, 'no-ack': { type: 'boolean', default: false },
    exercise: { type: 'boolean', default: false }, at: { type: 'string' },
  })
  if (!values.node || !values.text) throw new UsageError('cascade publish needs --node <id> and --text <text>')
  const [{ SEVERITIES }, { parseWhen }, { dateAndClock }, { CLI_AUTHOR }] = await Promise.all([
    import('../domain/announcement.ts'), import('../domain/commands.ts'), import('../domain/status.ts'), import('../spine/cascade.ts'),
  ])
  const severity = String(values.severity) as Severity
  if (!SEVERITIES.includes(severity)) throw new UsageError(`--severity must be one of: ${SEVERITIES.join(', ')}`)
  const cfg = await config(values)
  if (!cfg.nodes.has(String(values.node))) throw new Error(`unknown node "${values.node}"; nodes: ${[...cfg.nodes.keys()].slice(0, 12).join(', ')}…`)
  const category = values.category ? String(values.category) : undefined
  if (category && !cfg.categories.includes(category)) throw new UsageError(`--category must be one of: ${cfg.categories.join(', ')}`)
  const at = values.at === undefined ? undefined : parseWhen(String(values.at), Date.now())
  if (values.at !== undefined && at === undefined) throw new UsageError('--at must be a Beijing time like "20:30", "明天 08:00" or "2026-12-01 08:00"')
  // A time gone by is a mistake, not "now": nothing is published without a word.
  if (at !== undefined && at <= Date.now()) throw new UsageError(`--at ${values.at} is in the past (${dateAndClock(at)} Beijing time, now ${dateAndClock(Date.now())}); give a later time, or leave out --at to publish now`)
  return withApp(cfg, async app => {
    const a = await app.publish({
      node: String(values.node), author: CLI_AUTHOR, text: String(values.text), severity, category,
      ackRequired: !values['no-ack'], status: values.exercise ? 'exercise' : 'actual', at,
    })
    console.log(a.code)
    if (a.scheduledAt) console.error(`Scheduled for ${dateAndClock(a.scheduledAt)} (Beijing time); call it off with: cascade cancel ${a.code} --reason …`)
    else console.error(`Published ${a.code} at ${cfg.nodes.get(a.originNode)?.name}; the bots post it and ask the next tier. Follow it with: cascade status ${a.code}`)
    return 0
  })
}

/** `cascade <command> <CODE> [--json]`: the code, whether JSON is wanted, and the app. */
async function withCode(argv: string[], command: string, fn: (app: Cascade, code: string, json: boolean) => Promise<number>): Promise<number> {
  const { values, positionals } = args(argv, { ...CONFIG_OPTIONS, json: { type: 'boolean', default: false } }, true)
  const code = positionals[0]?.toUpperCase()
  if (!code) throw new UsageError(`cascade ${command} needs an announcement code, e.g. cascade ${command} A7K2`)
  const cfg = await config(values)
  return withApp(cfg, async app => {
    const unknown = await unknownNodes(app, code)
    if (unknown.length) {
      const { configDir, botsDir } = configDirs(values)
      console.error(`${code} was published in a network this configuration does not know: node${unknown.length === 1 ? '' : 's'} ${unknown.slice(0, 6).join(', ')}${unknown.length > 6 ? ' …' : ''} ${unknown.length === 1 ? 'is' : 'are'} not in ${configDir}/network.yaml. Run it with the configuration ${code} was published under: --config DIR (and --bots DIR), or CASCADE_CONFIG / CASCADE_BOTS (read: ${configDir}, ${botsDir}; namespace ${process.env.CASCADE_NS ?? 'cascade'})`)
      return 1
    }
    return fn(app, code, values.json === true)
  })
}

/** Nodes of an announcement (its origin, its relays) that the loaded configuration does not have. */
async function unknownNodes(app: Cascade, code: string): Promise<string[]> {
  const a = await app.store.announcement(code)
  if (!a) return []
  const nodes = new Set([a.originNode, ...(await app.store.relays(code)).keys()])
  return [...nodes].filter(n => !app.cfg.nodes.has(n))
}

async function statusCommand(argv: string[]): Promise<number> {
  return withCode(argv, 'status', async (app, code, json) => {
    const s = await app.statusTree(code)
    if (!s) {
      console.error(`no announcement with code ${code}`)
      return 1
    }
    console.log(json ? JSON.stringify(s) : await app.statusText(code))
    return 0
  })
}

async function amendCommand(argv: string[], kind: 'update' | 'cancel'): Promise<number> {
  const { values, positionals } = args(argv, { ...CONFIG_OPTIONS, text: { type: 'string' }, reason: { type: 'string' } }, true)
  const code = positionals[0]?.toUpperCase()
  const text = kind === 'update' ? values.text : values.reason
  if (!code || !text) throw new UsageError(kind === 'update' ? 'cascade update needs a code and --text <new text>' : 'cascade cancel needs a code and --reason <why>')
  const cfg = await config(values)
  const [{ cancel, correct }, { CLI_AUTHOR }] = await Promise.all([import('../features/curation/curation.ts'), import('../spine/cascade.ts')])
  return withApp(cfg, async app => {
    const result = kind === 'update' ? await correct(app, CLI_AUTHOR, code, String(text)) : await cancel(app, CLI_AUTHOR, code, String(text))
    if (result.done && result.made) console.log(result.made.code)
    // In English like the rest of the CLI (the chat reply in `result.reply` is for people in chat).
    console.error(amendSentence(kind, code, result))
    return result.done ? 0 : 1
  })
}

function amendSentence(kind: 'update' | 'cancel', code: string, r: Amendment): string {
  switch (r.why) {
    case 'unknown_code': return `no announcement with code ${code}`
    case 'not_amendable': return `${code} is itself a correction or retraction notice: it cannot be corrected or retracted`
    case 'already_cancelled': return `${code} has already been retracted`
    case 'blank': return kind === 'update' ? '--text has nothing visible (only spaces, zero-width characters or label words)' : '--reason has nothing visible (only spaces or zero-width characters)'
    case 'not_amender': return `only the publishers of ${code}'s origin may amend it`
    default: break
  }
  if (kind === 'update') return `Correction ${r.made?.code} of ${code} made: groups that got ${code} get it, nodes still deciding see the new text. Follow it with: cascade status ${r.made?.code}`
  if (!r.made) return `Scheduled ${code} called off: it will not go out.`
  return `Retracted ${code}: ${r.groups ?? 0} group(s) that got it are sent retraction notice ${r.made.code}; ${r.pending ?? 0} pending approval(s) withdrawn.`
}

async function auditCommand(argv: string[]): Promise<number> {
  const { dateAndClock } = await import('../domain/status.ts')
  return withCode(argv, 'audit', async (app, code, json) => {
    const events = await app.store.auditLog(code)
    if (events.length === 0) {
      console.error(`no announcement with code ${code} (no audit log)`)
      return 1
    }
    for (const e of events) {
      if (json) { console.log(JSON.stringify(e)); continue }
      const { kind, at, node, actor, via, ...rest } = e
      // Times (`…At`) in Beijing time, like the first column.
      const extra = Object.entries(rest).map(([k, v]) => `${k}=${/At$/.test(k) && /^\d{12,}$/.test(String(v)) ? dateAndClock(Number(v)) : JSON.stringify(v)}`).join(' ')
      console.log(`${dateAndClock(at)}  ${kind.padEnd(20)} ${node ? app.nodeName(node) : '-'}  ${actor ? app.personName(actor) : '-'}${via ? ` (${via})` : ''}  ${extra}`)
    }
    return 0
  })
}
