/**
 * `cascade validate [--config DIR] [--bots DIR]`: loads the whole configuration and either prints
 * a one-line summary and a line per optional feature (on, on defaults, off) — with the files of
 * the config directory that nothing reads on stderr — (exit 0) or every problem found (stderr,
 * exit 1). Bad usage exits 2.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { ConfigError, displayPath, loadConfig, reportProblems } from '../config/load.ts'
import { describeFeatures, unknownConfigFiles } from '../config/optional-files.ts'
import { configDirs } from './args.ts'
import type { CascadeConfig, Level } from '../config/types.ts'
import { loadRumorFile } from '../domain/rumor/library.ts'

export const VALIDATE_USAGE = `usage: cascade validate [--config DIR] [--bots DIR] [--strict]
  --config DIR   directory with network.yaml, people.yaml, templates.yaml (default: $CASCADE_CONFIG, else config)
  --bots DIR     directory with one YAML file per bot account (default: $CASCADE_BOTS, else bots)
  --strict       exit 1 also when a file in the config directory is not read or an optional feature is off`

/** Where the command writes; tests pass their own. */
export interface CommandIO {
  out: (line: string) => void
  err: (line: string) => void
}

const stdio: CommandIO = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
}

/** Runs `cascade validate`; returns the exit code (0 valid, 1 problems, 2 usage). */
export async function validateCommand(argv: string[], io: CommandIO = stdio): Promise<number> {
  const opts = parseArgs(argv)
  if ('help' in opts) {
    io.out(VALIDATE_USAGE)
    return 0
  }
  if ('error' in opts) {
    io.err(`cascade validate: ${opts.error}`)
    io.err(VALIDATE_USAGE)
    return 2
  }
  try {
    const cfg = await loadConfig(opts)
    io.out(`OK: ${summarize(cfg)} (${dirLabel(opts.configDir)}, ${dirLabel(opts.botsDir)})`)
    // The optional files: a feature off or on defaults is said, never silent.
    const rumorsFile = path.join(opts.configDir, 'rumors.yaml')
    const rumorEntries = existsSync(rumorsFile) ? (await loadRumorFile(rumorsFile)).entries.length : undefined
    const features = describeFeatures(cfg, rumorEntries)
    const width = Math.max(...features.map((f) => f.name.length))
    for (const f of features) io.out(`  ${f.name.padEnd(width)}  ${f.state.padEnd(8)}  ${f.detail}`)
    const unknown = unknownConfigFiles(opts.configDir)
    if (unknown.length) io.err(`not read (unknown names in ${dirLabel(opts.configDir)}): ${unknown.join(', ')}`)
    if (!opts.strict) return 0
    const off = features.filter((f) => f.state === 'off').map((f) => f.name)
    if (!unknown.length && !off.length) return 0
    io.err(`--strict: ${[...unknown.length ? [`${unknown.length} file${unknown.length === 1 ? '' : 's'} not read`] : [], ...off.length ? [`off: ${off.join(', ')}`] : []].join('; ')}`)
    return 1
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    const n = err.problems.length
    io.err(`${n} problem${n === 1 ? '' : 's'}:`)
    io.err(reportProblems(err.problems).join('\n'))
    return 1
  }
}

type ParsedArgs = { configDir: string; botsDir: string; strict: boolean } | { error: string } | { help: true }

function parseArgs(argv: string[]): ParsedArgs {
  const dirs = { ...configDirs({}), strict: false }
  const flags: Record<string, 'configDir' | 'botsDir'> = { '--config': 'configDir', '--bots': 'botsDir' }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '-h' || arg === '--help') return { help: true }
    if (arg === '--strict') { dirs.strict = true; continue }
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined]
    const key = Object.hasOwn(flags, flag) ? flags[flag] : undefined
    if (!key) return { error: `unknown option "${arg}"` }
    const value = inline ?? argv[++i]
    if (!value || (inline === undefined && value.startsWith('-'))) return { error: `${flag} needs a directory` }
    dirs[key] = value
  }
  return dirs
}

/** `1 district, 3 townships, 10 villages, 33 groups, 28 people, 3 bots` */
function summarize(cfg: CascadeConfig): string {
  const nodes = [...cfg.nodes.values()]
  const level = (l: Level) => nodes.filter((n) => n.level === l).length
  const groups = nodes.reduce((sum, n) => sum + n.groups.length, 0)
  return [
    count(level('district'), 'district', 'districts'),
    count(level('township'), 'township', 'townships'),
    count(level('village'), 'village', 'villages'),
    count(groups, 'group', 'groups'),
    count(cfg.people.size, 'person', 'people'),
    count(cfg.bots.size, 'bot', 'bots'),
  ].join(', ')
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** A directory as the user would type it, with a trailing slash: `config/`. */
function dirLabel(dir: string): string {
  const shown = path.resolve(dir) === process.cwd() ? '.' : displayPath(dir)
  return shown.endsWith('/') ? shown : `${shown}/`
}
