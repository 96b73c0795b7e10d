/**
 * `cascade cases [--open] [--node id] [--json]` lists cases with their age and state;
 * `cascade case C3F9 [--json]` prints one case with its history.
 */
import { configDirs, CONFIG_OPTIONS, parseOptions, UsageError } from '../../cli/args.ts'
import { casesOf, type CaseDesk } from './cases.ts'
import { compose } from '../../app/compose.ts'
import { silentLogger } from '../../infra/log.ts'
import { redisUrlFromEnv } from '../../infra/redis.ts'
import { requireRedis } from '../../infra/redis-reach.ts'
import { descendants, loadConfig } from '../../config/load.ts'
import type { CascadeConfig } from '../../config/types.ts'
import { dateAndClock } from '../../domain/status.ts'
import { ACTIVE_STATES, CASE_CODE_RE, caseStateZh, durationZh, KIND_VERB, type Case, type CaseEvent } from '../../domain/cases.ts'

export { CASES_USAGE } from '../../cli/usage.ts'

const MINUTE_MS = 60_000
/** Characters of a case's text shown in the list. */
const TEXT_PREVIEW = 24

const COMMON = {
  ...CONFIG_OPTIONS,
  json: { type: 'boolean', default: false },
} as const

/** Runs `fn` with the cases feature of the app on REDIS_URL / CASCADE_NS. */
async function withDesk<T>(values: { config?: string; bots?: string }, fn: (desk: CaseDesk, cfg: CascadeConfig) => Promise<T>): Promise<T> {
  const cfg = await loadConfig(configDirs(values))
  await requireRedis(redisUrlFromEnv())
  const c = compose({ cfg, redisUrl: redisUrlFromEnv(), ns: process.env.CASCADE_NS, log: silentLogger })
  try {
    const desk = casesOf(c.app)
    if (!desk) throw new Error(`no ${cfg.configDir}/cases.yaml: the response mechanism (举报/求助) is not configured`)
    return await fn(desk, cfg)
  } finally {
    await c.close()
  }
}

/** `cascade cases …` */
export async function casesCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, { ...COMMON, open: { type: 'boolean', default: false }, node: { type: 'string' } })
  if (positionals.length) throw new UsageError(`unexpected argument "${positionals[0]}" (one case: cascade case <CODE>)`)
  return withDesk(values, async (desk, cfg) => {
    const node = values.node
    if (node && !cfg.nodes.has(node)) throw new Error(`unknown node "${node}"; nodes: ${[...cfg.nodes.keys()].slice(0, 12).join(', ')}…`)
    const within = node ? new Set([node, ...descendants(cfg, node)]) : undefined
    const now = Date.now()
    const cases = (await desk.store.all())
      .filter(c => !values.open || ACTIVE_STATES.includes(c.state))
      .filter(c => !within || within.has(c.node))
    if (values.json) {
      console.log(JSON.stringify(cases.map(c => ({ ...c, ageMinutes: Math.round((now - c.openedAt) / MINUTE_MS * 10) / 10 }))))
      return 0
    }
    if (cases.length === 0) console.log(values.open ? '(no open cases)' : '(no cases)')
    for (const c of cases) console.log(listLine(c, cfg, now))
    return 0
  })
}

/** `cascade case <CODE>` */
export async function caseCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, COMMON)
  const code = positionals[0]?.toUpperCase()
  if (!code || positionals.length > 1) throw new UsageError('needs one case code, e.g. cascade case C3F9KX')
  return withDesk(values, async (desk, cfg) => {
    // A code of the wrong shape is a code no case has: said like any unknown code.
    const c = CASE_CODE_RE.test(code) ? await desk.store.get(code) : undefined
    if (!c) {
      console.error(`no case with code ${code}${CASE_CODE_RE.test(code) ? '' : ' (case codes have 6 letters and digits, e.g. C3F9KX)'}`)
      return 1
    }
    const history = await desk.store.history(code)
    const reward = await desk.store.reward(code)
    if (values.json) console.log(JSON.stringify({ case: c, history, reward }))
    else console.log(caseText(c, history, cfg, Date.now()))
    return 0
  })
}

function listLine(c: Case, cfg: CascadeConfig, now: number): string {
  const text = c.text.length > TEXT_PREVIEW ? `${c.text.slice(0, TEXT_PREVIEW)}…` : c.text
  const who = c.takenBy ? `  ${cfg.people.get(c.takenBy)?.name ?? c.takenBy}` : ''
  return `${c.code}  ${KIND_VERB[c.kind]}  ${caseStateZh(c.state)}${who}  ${cfg.nodes.get(c.node)?.name ?? c.node}  ${durationZh((now - c.openedAt) / MINUTE_MS)}前  ${text}`
}

/** One case and its history, for ops. */
export function caseText(c: Case, history: CaseEvent[], cfg: CascadeConfig, now: number): string {
  const name = (id?: string) => (id ? cfg.people.get(id)?.name ?? id : '')
  const nodeName = (id?: string) => (id ? cfg.nodes.get(id)?.name ?? id : '')
  const lines = [
    `${c.code} ${KIND_VERB[c.kind]} · ${caseStateZh(c.state)} · ${nodeName(c.node)} · ${durationZh((now - c.openedAt) / MINUTE_MS)}前`,
    `反映人：${c.reporter.name}（${c.topic ? `群“${c.topic}”` : '私信'}，账号 ${c.reporter.bot}）`,
    `内容：${c.text}`,
    `负责：${c.responsible.map(name).join('、') || '（无）'}`,
  ]
  if (c.result) lines.push(`结果：${c.result}`)
  if (c.verifiedAt) lines.push(`属实：${name(c.verifiedBy)} 登记`)
  if (c.photos) lines.push(`照片：${c.photos} 张`)
  lines.push('', '经过：')
  for (const e of history) {
    const who = e.actor ? ` ${name(e.actor)}` : ''
    const where = e.node ? ` @${nodeName(e.node)}` : ''
    lines.push(`  ${dateAndClock(e.at)}  ${e.kind}${e.step ? ` #${e.step}` : ''}${who}${where}${e.text ? `  ${e.text}` : ''}`)
  }
  return lines.join('\n')
}
