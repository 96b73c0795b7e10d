/**
 * Command-line parsing errors said in the CLI's own words (English, to operators), not Node's
 * raw `parseArgs` messages: `unknown option --jsn (did you mean --json?)`, `--ttl needs a value`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

type Options = NonNullable<ParseArgsConfig['options']>

/** `--config DIR` and `--bots DIR`, understood by every command that reads the configuration. */
export const CONFIG_OPTIONS = {
  config: { type: 'string' },
  bots: { type: 'string' },
} as const

/**
 * The configuration's directories: `--config` / `--bots`, else the environment's CASCADE_CONFIG /
 * CASCADE_BOTS (a shell or a container sets them once), else `config` and `bots`.
 */
export function configDirs(values: { config?: unknown; bots?: unknown }, env: NodeJS.ProcessEnv = process.env): { configDir: string; botsDir: string } {
  const pick = (flag: unknown, name: string, fallback: string) => typeof flag === 'string' && flag !== '' ? flag : env[name] || fallback
  return { configDir: pick(values.config, 'CASCADE_CONFIG', 'config'), botsDir: pick(values.bots, 'CASCADE_BOTS', 'bots') }
}

/** A bad command line: the command's usage is shown and the exit code is 2. */
export class UsageError extends Error {}

/** `parseArgs` strictly, with its errors turned into `UsageError`s a person can act on. */
export function parseOptions<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(explain(err as Error & { code?: string }, argv, options))
  }
}

function explain(err: Error & { code?: string }, argv: string[], options: Options): string {
  const names = Object.keys(options).map((n) => `--${n}`)
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /'([^']+)'/.exec(err.message)?.[1] ?? '?'
    const flag = given.split('=')[0]
    const near = names.find((n) => closeTo(flag, n))
    return `unknown option ${flag}${near ? ` (did you mean ${near}?)` : ''}; options: ${names.join(' ')}`
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = /'?(--[\w-]+)/.exec(err.message)?.[1] ?? 'an option'
    const next = argv[argv.indexOf(flag) + 1]
    if (options[flag.slice(2)]?.type === 'boolean') return `${flag} takes no value`
    return next !== undefined && next.startsWith('-')
      ? `${flag} needs a value, and "${next}" looks like an option (write ${flag}=${next} if it is the value)`
      : `${flag} needs a value`
  }
  return err.message
}

/** One edit apart, or one a prefix of the other (`--jsn`, `--jso` → `--json`). */
function closeTo(a: string, b: string): boolean {
  if (b.startsWith(a) || a.startsWith(b)) return true
  if (Math.abs(a.length - b.length) > 1) return false
  let i = 0
  while (i < a.length && a[i] === b[i]) i++
  return a.slice(i + 1) === b.slice(i + 1) || a.slice(i) === b.slice(i + 1) || a.slice(i + 1) === b.slice(i)
}
