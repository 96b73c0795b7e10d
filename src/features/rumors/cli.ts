/**
 * `cascade rumor …`: the rumor matcher for scripts, curators and operators.
 *
 * Contract (kept stable; scripts depend on it):
 * - `cascade rumor match [--library FILE] [--explain]`: JSON lines `{"text": "…"}` on stdin → one
 *   JSON line per input, same order: `{"id": string|null, "score": number, "action": …}`; a bad
 *   line gives `{"id": null, "score": 0, "action": "ignore", "error": "…"}` (cli-match.ts). Plain
 *   text (arguments, or plain lines on stdin) is answered in Chinese for curators.
 * - `cascade rumor eval --library FILE --queries FILE [--json]` (eval.ts).
 * - `cascade rumor list|suggestions|decide|review|undo|export` on the district's Redis (cli-desk.ts).
 * - unknown subcommand or bad option: usage on stderr, exit code 2; a failure: exit code 1.
 */
import path from 'node:path'
import type { Readable, Writable } from 'node:stream'
import { LearningMatcher } from '../../domain/rumor/learning.ts'
import { loadRumorLibrary, RumorLibraryError, type RumorEntry } from '../../domain/rumor/library.ts'
import { RumorMatcher } from '../../domain/rumor/matcher.ts'
import { readTemplates, runMatch, type Matching } from './cli-match.ts'
import { runEval } from './eval.ts'
import { curatorEntries, readRumorStore, decideCommand, exportCommand, reviewCommand, suggestionsCommand, undoCommand, withRumorDesk } from './cli-desk.ts'

export { explainMatch, matchLine, type Explanation, type MatchLine } from './cli-match.ts'
export { evaluate, parseEvalQueries, type Confusion, type EvalMetrics, type EvalQuery } from './eval.ts'
export { curatorEntries } from './cli-desk.ts'

/** Library used when no --library is given: the config directory's. */
export const DEFAULT_RUMOR_LIBRARY = 'config/rumors.yaml'

/** `cascade help rumor` shows these lines (src/cli/usage.ts repeats them). */
export const RUMOR_CLI_USAGE = `usage:
  cascade rumor match ["消息" …] [--library FILE | --config DIR] [--explain] [--json]
        what the bot would do: plain text (arguments or lines on stdin) answered in Chinese with
        the decision, the rumor and the rebuttal it would send; {"text": …} JSON lines on stdin
        answered in JSON lines (for scripts). Without --library: the config's library grown by
        curators (Redis at REDIS_URL), else the file alone
  cascade rumor eval --library FILE --queries FILE [--json]
  cascade rumor list [--library FILE | --config DIR]
  cascade rumor suggestions [--all] [--json] [--config DIR] [--bots DIR]
        what waits for a curator (S codes); --all: decided ones too
  cascade rumor decide <S…> 是|忽略|辟谣 [辟谣内容] --as <person> [--config DIR] [--bots DIR]
        what the chat command does, as that curator (是: the rebuttal goes to the group and the
        wording becomes an example; 忽略: a near miss; 辟谣: a new entry)
  cascade rumor review [--json]             what curators taught the library: who added what, when
  cascade rumor undo <L…|R…> --as <person>  take a learned wording or a curator's entry back
  cascade rumor export [--out FILE]         the library grown by curators, as YAML (the file's format)
`

/** Exit codes. */
const EXIT_FAILURE = 1
const EXIT_USAGE = 2

/** Streams the command uses (injectable for tests). */
export interface RumorCommandIO {
  stdin: Readable
  stdout: Writable
  stderr: Writable
  /** Environment (REDIS_URL, CASCADE_NS); `process.env` by default. */
  env?: NodeJS.ProcessEnv
}

interface ParsedArgs {
  options: Map<string, string>
  flags: Set<string>
  positional: string[]
}

const VALUE_OPTIONS = new Set(['--library', '--queries', '--config', '--bots', '--as', '--out'])
const FLAG_OPTIONS = new Set(['--json', '--explain', '--all'])

function parseArgs(argv: readonly string[]): ParsedArgs | string {
  const options = new Map<string, string>()
  const flags = new Set<string>()
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    if (VALUE_OPTIONS.has(name)) {
      const value = eq > 0 && arg.startsWith('--') ? arg.slice(eq + 1) : argv[++i]
      if (value === undefined || value === '') return `option ${name} needs a value`
      options.set(name, value)
    } else if (FLAG_OPTIONS.has(arg)) {
      flags.add(arg)
    } else if (arg.startsWith('--')) {
      return `unknown option ${arg}`
    } else {
      positional.push(arg)
    }
  }
  return { options, flags, positional }
}

function usage(io: RumorCommandIO, problem?: string): number {
  if (problem) io.stderr.write(`cascade rumor: ${problem}\n`)
  io.stderr.write(RUMOR_CLI_USAGE)
  return EXIT_USAGE
}

/** Subcommands that take positional arguments. */
const TAKES_ARGUMENTS = new Set(['match', 'decide', 'undo'])

/**
 * Run `cascade rumor <argv…>`. `argv` is what follows `cascade rumor`.
 * @returns the process exit code (0 ok, 1 failure such as an invalid library, 2 usage error).
 */
export async function rumorCommand(
  argv: string[],
  io: RumorCommandIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const [sub, ...rest] = argv
  const parsed = parseArgs(rest)
  if (typeof parsed === 'string') return usage(io, parsed)
  if (parsed.positional.length > 0 && !TAKES_ARGUMENTS.has(sub)) return usage(io, `unexpected argument ${parsed.positional[0]}`)
  const o = (name: string) => parsed.options.get(name)
  const dirs = { config: o('--config') ?? 'config', bots: o('--bots') ?? 'bots' }
  const json = parsed.flags.has('--json')
  try {
    switch (sub) {
      case 'match': {
        const matcher = await matchingFor(o('--library'), dirs.config, io)
        return await runMatch(matcher, io, parsed.positional, { explain: parsed.flags.has('--explain'), json, templates: readTemplates(dirs.config) })
      }
      case 'eval': {
        const library = o('--library')
        const queries = o('--queries')
        if (!library || !queries) return usage(io, 'eval needs --library FILE and --queries FILE')
        return await runEval(library, queries, json, io)
      }
      case 'list': {
        const entries = await loadRumorLibrary(o('--library') ?? path.join(dirs.config, 'rumors.yaml'))
        io.stdout.write(formatRumorList(entries, await curatorEntries(io)))
        return 0
      }
      case 'suggestions': return await withRumorDesk(io, dirs, (c) => suggestionsCommand(c, io, parsed.flags.has('--all'), json))
      case 'decide': {
        const [code, verb, ...text] = parsed.positional
        if (!code || !/^S\d+$/i.test(code) || !['是', '忽略', '辟谣'].includes(verb ?? '')) return usage(io, 'decide needs a suggestion code and 是, 忽略 or 辟谣: cascade rumor decide S12 是 --as <person>')
        if (verb === '辟谣' && text.length === 0) return usage(io, '辟谣 needs the rebuttal: cascade rumor decide S12 辟谣 <辟谣内容> --as <person>')
        if (!o('--as')) return usage(io, 'decide needs --as <person>: the curator on whose behalf it is decided')
        return await withRumorDesk(io, dirs, (c) => decideCommand(c, io, parsed.positional, o('--as')))
      }
      case 'review': return await withRumorDesk(io, dirs, (c) => reviewCommand(c, io, json))
      case 'undo':
        if (!/^[LR]\d+$/i.test(parsed.positional[0] ?? '') || !o('--as')) return usage(io, 'undo needs a learned wording L12 or a curator entry R35 (cascade rumor review lists them) and --as <person>')
        return await withRumorDesk(io, dirs, (c) => undoCommand(c, io, parsed.positional[0], o('--as')))
      case 'export': return await withRumorDesk(io, dirs, (c) => exportCommand(c, io, o('--out')))
      default:
        return usage(io, sub ? `unknown subcommand ${sub}` : 'missing subcommand')
    }
  } catch (err) {
    const message = err instanceof RumorLibraryError ? err.message : (err as Error).message ?? String(err)
    io.stderr.write(`cascade rumor: ${message}\n`)
    return EXIT_FAILURE
  }
}

/** How long `match` waits for Redis before matching against the file alone. */

/**
 * What `match` matches with: the given library file; without one, the config's library grown by
 * curators (entries and learned wordings from Redis), or the file alone when Redis does not answer.
 */
async function matchingFor(library: string | undefined, configDir: string, io: RumorCommandIO): Promise<Matching> {
  if (library) return new RumorMatcher(await loadRumorLibrary(library))
  const file = await loadRumorLibrary(path.join(configDir, 'rumors.yaml'))
  return readRumorStore<Matching>(io, 'cascade rumor match', `matching against ${configDir}/rumors.yaml alone`, new RumorMatcher(file), async store => {
    const [stored, learned] = await Promise.all([store.entries(), store.learned()])
    const ids = new Set(file.map((e) => e.id))
    return new LearningMatcher([...file, ...stored.filter((e) => !e.removed && !ids.has(e.id))], learned)
  })
}

/**
 * Format library entries for `cascade rumor list`, one line each: id, category, claim.
 * `extra` (e.g. curator-added entries from the store) are listed after a heading.
 */
export function formatRumorList(entries: readonly RumorEntry[], extra: readonly RumorEntry[] = []): string {
  const all = [...entries, ...extra]
  const idWidth = Math.max(2, ...all.map((e) => e.id.length))
  const catWidth = Math.max(8, ...all.map((e) => e.category.length))
  const row = (e: RumorEntry) => `${e.id.padEnd(idWidth)}  ${e.category.padEnd(catWidth)}  ${e.claim}`
  const lines = [`${'id'.padEnd(idWidth)}  ${'category'.padEnd(catWidth)}  claim`, ...entries.map(row)]
  if (extra.length > 0) lines.push('', `added by curators (${extra.length}):`, ...extra.map(row))
  lines.push('', `${all.length} rumors`)
  return `${lines.join('\n')}\n`
}
