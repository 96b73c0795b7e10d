/**
 * `cascade province publish --text <text> [--severity S] [--category C] [--no-ack] [--exercise] [--expires HOURS]`
 * `cascade province status [<CODE>] [--json]`   every district's state of one notice (or the newest notices)
 * `cascade province resend <CODE>`              hand it again to the districts that have not got it
 * `cascade province cancel <CODE> --reason <text>`
 *
 * Run at the province office with a config folder holding province.yaml (--config DIR or
 * CASCADE_CONFIG); the Redis of every district (REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER) is the
 * one this process reaches. Its output is English, to operators; what districts see is Chinese.
 */
import path from 'node:path'
import { CONFIG_OPTIONS, configDirs, parseOptions, UsageError } from '../../cli/args.ts'
import { cliLogger } from '../../cli/human-log.ts'
import { ConfigError } from '../../config/load.ts'
import { PROVINCE_FILE, readProvince, type ProvinceConfig } from '../../config/province.ts'
import { Problems } from '../../config/yaml-source.ts'
import { SEVERITIES, type Severity } from '../../domain/announcement.ts'
import { dateAndClock } from '../../domain/status.ts'
import { connectRedis, holdBullConnection, redisUrlFromEnv } from '../../infra/redis.ts'
import { requireRedis } from '../../infra/redis-reach.ts'
import { CLI_AUTHOR } from '../../spine/cascade.ts'
import { ProvinceOffice, type DistrictState, type HandOut } from './office.ts'

const OPTIONS = {
  ...CONFIG_OPTIONS, text: { type: 'string' }, reason: { type: 'string' }, severity: { type: 'string', default: 'urgent' },
  category: { type: 'string' }, 'no-ack': { type: 'boolean', default: false }, exercise: { type: 'boolean', default: false },
  expires: { type: 'string', default: '72' }, json: { type: 'boolean', default: false },
} as const

const SUBCOMMANDS = ['publish', 'status', 'resend', 'cancel']

export async function provinceConfig(configDir: string): Promise<ProvinceConfig> {
  const problems = new Problems()
  const file = path.join(configDir, PROVINCE_FILE)
  const cfg = await readProvince(file, problems)
  if (problems.list.length) throw new ConfigError(problems.sorted())
  if (!cfg) throw new UsageError(`no ${file}: the province office needs it (id, name, districts; docs/PROVINCE.md)`)
  return cfg
}

async function withOffice<T>(configDir: string, fn: (office: ProvinceOffice) => Promise<T>): Promise<T> {
  const cfg = await provinceConfig(configDir)
  const url = redisUrlFromEnv()
  await requireRedis(url)
  const redis = connectRedis(url)
  const bull = holdBullConnection(url)
  const office = new ProvinceOffice(cfg, redis, bull.connection, await cliLogger())
  try { return await fn(office) } finally {
    await office.close()
    await bull.release()
    await redis.quit()
  }
}

export async function provinceCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS)
  const [sub, rawCode] = positionals
  if (!sub || !SUBCOMMANDS.includes(sub)) throw new UsageError(sub ? `unknown subcommand "${sub}"; use ${SUBCOMMANDS.join(', ')}` : `a subcommand is needed: ${SUBCOMMANDS.join(', ')}`)
  const code = rawCode?.toUpperCase()
  if ((sub === 'resend' || sub === 'cancel') && !code) throw new UsageError(`cascade province ${sub} needs the province notice's code, e.g. cascade province ${sub} P7K2`)
  const { configDir } = configDirs(values)
  if (sub === 'publish') {
    if (!values.text) throw new UsageError('cascade province publish needs --text <text>')
    const severity = String(values.severity) as Severity
    if (!SEVERITIES.includes(severity)) throw new UsageError(`--severity must be one of: ${SEVERITIES.join(', ')}`)
    const hours = Number(values.expires)
    if (!(hours > 0)) throw new UsageError(`--expires must be a positive number of hours (got "${values.expires}")`)
    return withOffice(configDir, async office => {
      const { notice, handed } = await office.publish({
        text: String(values.text), severity, category: values.category ? String(values.category) : undefined,
        ackRequired: !values['no-ack'], status: values.exercise ? 'exercise' : 'actual', expiresInHours: hours, author: CLI_AUTHOR,
      })
      console.log(notice.code)
      return reportHandOut(office.cfg, handed, `Published ${notice.code} at ${office.cfg.name}`, notice.code)
    })
  }
  if (sub === 'cancel') {
    if (!values.reason || !String(values.reason).trim()) throw new UsageError('cascade province cancel needs --reason <text> (the districts\' groups are told it)')
    return withOffice(configDir, async office => {
      const r = await office.cancel(code!, String(values.reason).trim())
      if (!r) { console.error(`no province notice ${code} (newest: ${(await office.recent(5)).map(n => n.code).join(', ') || 'none'})`); return 1 }
      return reportHandOut(office.cfg, r.handed, r.already ? `${code} was already retracted; its retraction handed again` : `Retracted ${code}`, code!)
    })
  }
  return withOffice(configDir, async office => {
    if (sub === 'status' && !code) {
      const recent = await office.recent(20)
      if (values.json) { console.log(JSON.stringify(recent, null, 2)); return 0 }
      if (!recent.length) console.log(`no notices published at ${office.cfg.name} yet`)
      for (const n of recent) console.log(`${n.code}  ${dateAndClock(n.createdAt)}  ${n.severity}${n.cancelledAt ? '  retracted' : ''}  ${n.text.slice(0, 40)}`)
      return 0
    }
    const notice = await office.notice(code!)
    if (!notice) { console.error(`no province notice ${code}`); return 1 }
    if (sub === 'resend') return reportHandOut(office.cfg, await office.handOut(notice), `Handed ${code} again`, code!)
    const states = await office.status(notice)
    if (values.json) { console.log(JSON.stringify({ notice, districts: states }, null, 2)); return 0 }
    console.log(`${notice.code} of ${office.cfg.name}, ${dateAndClock(notice.createdAt)} Beijing${notice.cancelledAt ? `, retracted ${dateAndClock(notice.cancelledAt)} (${notice.reason})` : ''}`)
    for (const s of states) console.log(`  ${describeState(s)}`)
    return 0
  })
}

function describeState(s: DistrictState): string {
  const who = `${s.district.name} (${s.district.id}, ns ${s.district.ns})`.padEnd(34)
  const local = s.localCode ? ` as ${s.localCode}` : ''
  const groups = s.groups ? `, ${s.groups.confirmed}/${s.groups.total} groups confirmed` : ''
  const why = s.reason ? ` — ${s.reason}` : ''
  const words: Record<string, string> = {
    'not-handed': 'not handed yet: cascade province resend', waiting: 'handed, not taken yet (is its cascade serve running?)',
    refused: 'refused', 'called-off': 'retracted before it arrived', pending: 'waiting for the district\'s curators',
    approved: 'approved', edited: 'approved with an edit', rejected: 'rejected by the district', expired: 'expired before a decision', withdrawn: 'withdrawn',
  }
  return `${who} ${words[s.state] ?? s.state}${local}${s.retracted && s.state !== 'withdrawn' ? ' (retracted)' : ''}${groups}${why}`
}

function reportHandOut(cfg: ProvinceConfig, handed: HandOut[], what: string, code: string): number {
  const failed = handed.filter(h => !h.ok)
  console.error(`${what}: handed to ${handed.length - failed.length} of ${cfg.districts.length} districts.${failed.length ? '' : ` Follow it with: cascade province status ${code}`}`)
  for (const f of failed) console.error(`  ${f.district}: not handed (${f.error}); try again with: cascade province resend ${code}`)
  return failed.length ? 1 : 0
}
