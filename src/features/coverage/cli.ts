/**
 * `cascade coverage <CODE> [--node id] [--json]`: the coverage tree of one announcement
 * (district → township → village → grids and groups; households and members).
 * `cascade acks export <CODE> --format csv [--node id] [--out FILE]`: one row per household
 * (and per unassigned member): village, grid, household, member, acknowledged_by, how, at.
 * `cascade acks deadline <CODE> --minutes N`: that announcement's own acknowledgment deadline.
 */
import { writeFile } from 'node:fs/promises'
import { configDirs, CONFIG_OPTIONS, parseOptions, UsageError } from '../../cli/args.ts'
import type { Cascade } from '../../spine/cascade.ts'
import { compose } from '../../app/compose.ts'
import { coverageOf, type Coverage, type CoverageRow } from './coverage.ts'
import { cliLogger } from '../../cli/human-log.ts'
import { redisUrlFromEnv } from '../../infra/redis.ts'
import { requireRedis } from '../../infra/redis-reach.ts'
import path from 'node:path'
import { loadConfig } from '../../config/load.ts'
import { renderCoverage } from '../../domain/households.ts'

export const COVERAGE_USAGE = `usage:
  cascade coverage <CODE> [--node id] [--json]
  cascade acks export <CODE> --format csv [--node id] [--out FILE]
  cascade acks deadline <CODE> --minutes N`

/** Columns of `cascade acks export`, in order. */
export const EXPORT_COLUMNS = ['village', 'grid', 'household', 'member', 'acknowledged_by', 'how', 'at'] as const
const EXIT_USAGE = 2
const BEIJING_OFFSET_MS = 8 * 3600 * 1000

/** Thrown for bad arguments: the usage is shown, exit code 2. */
export class CoverageUsageError extends Error {}

/** Every option of these commands (each command reads the ones it knows). */
const OPTIONS = {
  ...CONFIG_OPTIONS, node: { type: 'string' },
  json: { type: 'boolean', default: false }, minutes: { type: 'string' }, format: { type: 'string', default: 'csv' }, out: { type: 'string' },
} as const

function options(argv: string[]) {
  try {
    return parseOptions(argv, OPTIONS)
  } catch (err) {
    throw new CoverageUsageError(err instanceof UsageError ? err.message : String(err))
  }
}

/** Loads the config, opens the app, checks the code and the node, and runs `fn` with the feature. */
async function withCoverage(values: { config?: unknown; bots?: unknown; node?: unknown }, code: string | undefined, fn: (c: Coverage, app: Cascade, code: string) => Promise<number>): Promise<number> {
  if (!code) throw new CoverageUsageError('an announcement code is needed, e.g. A7K2')
  const cfg = await loadConfig(configDirs(values))
  if (values.node !== undefined && !cfg.nodes.has(String(values.node))) throw new Error(`unknown node "${values.node}"; nodes: ${[...cfg.nodes.keys()].slice(0, 12).join(', ')}…`)
  await requireRedis(redisUrlFromEnv())
  const composed = compose({ cfg, redisUrl: redisUrlFromEnv(), ns: process.env.CASCADE_NS, log: await cliLogger() })
  try {
    const c = coverageOf(composed.app)
    if (!c) throw new Error(`no households configured: add ${cfg.configDir}/households.yaml (see docs/COVERAGE.md)`)
    const upper = code.toUpperCase()
    if (!await composed.app.store.announcement(upper)) {
      console.error(`no announcement with code ${upper}`)
      return 1
    }
    return await fn(c, composed.app, upper)
  } finally {
    await composed.close()
  }
}

/** `cascade coverage …`; returns the exit code. */
export async function coverageCommand(argv: string[]): Promise<number> {
  const { values, positionals } = options(argv)
  return withCoverage(values, positionals[0], async (c, app, code) => {
    const tree = await c.tree(code, values.node === undefined ? undefined : String(values.node))
    if (!tree) return 1
    console.log(values.json ? JSON.stringify(tree) : `通知 ${code} 到户情况\n${renderCoverage(tree, id => app.personName(id))}`)
    return 0
  })
}

/** `cascade acks export|deadline …`; returns the exit code. */
export async function acksCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  if (sub === 'deadline') {
    const { values, positionals } = options(rest)
    const minutes = Number(values.minutes)
    if (!(minutes >= 0)) throw new CoverageUsageError('--minutes must be a number ≥ 0')
    return withCoverage(values, positionals[0], async (c, _app, code) => {
      await c.setDeadline(code, minutes)
      console.error(`Deadline of ${code}: ${minutes} min after its post in each village (posts from now on).`)
      return 0
    })
  }
  if (sub !== 'export') throw new CoverageUsageError(sub === undefined ? 'needs a subcommand: export or deadline' : `unknown subcommand "${sub}"; subcommands: export, deadline`)
  const { values, positionals } = options(rest)
  if (values.format !== 'csv') throw new CoverageUsageError('--format must be csv')
  return withCoverage(values, positionals[0], async (c, _app, code) => {
    const rows = await c.rows(code, values.node === undefined ? undefined : String(values.node))
    const csv = toCsv(rows)
    // A file gets a BOM, so that spreadsheet programs read the Chinese names right.
    if (values.out) await writeOut(String(values.out), `\ufeff${csv}`)
    else process.stdout.write(csv)
    console.error(`${rows.length} rows${values.out ? ` written to ${values.out}` : ''}`)
    return 0
  })
}

/** Writes the export; a file that cannot be written is said in a sentence, not a raw ENOENT. */
async function writeOut(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const dir = path.dirname(path.resolve(file))
    const why = code === 'ENOENT' ? `the folder ${dir} does not exist` : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message
    throw new Error(`cannot write --out ${file}: ${why}`)
  }
}

/** The export as CSV (RFC 4180; times in Beijing time). */
export function toCsv(rows: CoverageRow[]): string {
  const lines = [EXPORT_COLUMNS.join(',')]
  for (const r of rows) lines.push([r.village, r.grid, r.household, r.member, r.by, r.how, r.at === undefined ? '' : beijingTime(r.at)].map(csvField).join(','))
  return lines.join('\r\n') + '\r\n'
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v
}

/** `2026-01-28 09:30:05` in Beijing time. */
export function beijingTime(at: number): string {
  return new Date(at + BEIJING_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')
}

/** Runs a coverage command, printing usage for bad arguments. */
export async function runCoverageCli(command: 'coverage' | 'acks', argv: string[]): Promise<number> {
  try {
    return await (command === 'coverage' ? coverageCommand(argv) : acksCommand(argv))
  } catch (err) {
    if (!(err instanceof CoverageUsageError)) throw err
    console.error(`cascade ${command}: ${err.message}\n${COVERAGE_USAGE}`)
    return EXIT_USAGE
  }
}
