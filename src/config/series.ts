/**
 * config/series.yaml (optional): recurring bulletins, their settings, and the feeds of the
 * district's inbox. Checked like every config file: each problem names the file, the line, the
 * path and what is allowed. See docs/SERIES.md.
 */
import { existsSync } from 'node:fs'
import { LineCounter, parseDocument } from 'yaml'
import { SEVERITIES } from '../domain/announcement.ts'
import {
  DEFAULT_SERIES_SETTINGS, DEFAULT_TZ, HHMM_RE, knownTimeZone, scheduleToCron, SERIES_ID_RE, templateFields,
  type SeriesDef, type SeriesSettings, type SeriesSource,
} from '../domain/series.ts'
import { describe, Problems, readSource, Reader, unknownRef, type Fields, type Obj, type Path } from './yaml-source.ts'

export const SERIES_FILE = 'series.yaml'
export const SERIES_FILE_HINT = 'recurring bulletins (`series:` a list of { id, title, schedule, publisher, list | template | typed }), `settings:` and inbox `feeds:`'

export interface FeedConfig { id: string; url: string; everyMinutes: number }

export interface SeriesConfig {
  settings: SeriesSettings
  series: SeriesDef[]
  feeds: FeedConfig[]
}

/** What series.yaml is checked against: the network's nodes and who publishes where. */
export interface SeriesRefs {
  nodes: ReadonlySet<string>
  /** Publisher person id → the nodes they publish from. */
  publishers: ReadonlyMap<string, string[]>
  categories: readonly string[]
}

const FILE_FIELDS: Fields = {
  settings: { hint: 'quietHours, catchUpMinutes, perRunApproval' },
  series: { hint: 'a list of series' },
  feeds: { hint: 'a list of { id, url, everyMinutes } polled into the inbox' },
}
const SETTINGS_FIELDS: Fields = {
  quietHours: { hint: '{ from: "22:00", to: "07:00" } local time, or null for none' },
  catchUpMinutes: { hint: 'a run missed while no process ran timers is made this late at most (default 120)' },
  perRunApproval: { hint: 'node ids whose curators approve each run instead of the series once' },
}
const QUIET_FIELDS: Fields = { from: { required: true, hint: 'HH:MM' }, to: { required: true, hint: 'HH:MM' } }
export const SERIES_FIELDS: Fields = {
  id: { required: true, hint: 'a short code typed in chat, e.g. S1 (upper-case letters and digits, ≤ 8)' },
  title: { required: true, hint: 'its name, e.g. 每日疫情防控通报' },
  schedule: { required: true, hint: '「每天 08:00」, 「工作日 08:00」, 「每周一 08:00」 or a cron pattern "0 8 * * *"' },
  tz: { hint: `time zone of the schedule (default ${DEFAULT_TZ})` },
  publisher: { required: true, hint: 'person id of a publisher (people.yaml), who is told of skipped runs' },
  audience: { hint: 'node ids whose subtrees receive it (default: everyone below the publisher\'s node)' },
  severity: { hint: `${SEVERITIES.join(', ')} (default normal)` },
  category: { hint: 'one of the network\'s categories (default the first)' },
  ackRequired: { hint: 'true: members are asked to reply 收到 (default false)' },
  list: { hint: 'prepared texts, one per run' },
  repeat: { hint: 'with list: true starts over after the last text (default false: the series ends)' },
  template: { hint: 'a text with {placeholders} filled with the figures supplied for each day, {date} for the date' },
  typed: { hint: 'true: the publisher types each run (reminded at the time)' },
  skipDates: { hint: 'local dates YYYY-MM-DD without a run' },
}
const FEED_FIELDS: Fields = {
  id: { required: true, hint: 'a slug naming the source' },
  url: { required: true, hint: 'an http(s) URL of an RSS or Atom feed' },
  everyMinutes: { hint: 'how often it is polled (default 30, at least 5)' },
}

export async function readSeries(file: string, problems: Problems, refs: SeriesRefs | undefined): Promise<SeriesConfig | undefined> {
  if (!existsSync(file)) return undefined
  const src = await readSource(file, problems, SERIES_FILE_HINT)
  return src && refs ? parseSeriesFile(new Reader(src, problems), refs) : undefined
}

export function parseSeriesFile(r: Reader, refs: SeriesRefs): SeriesConfig | undefined {
  const top = r.mapping(r.src.data ?? {}, [], FILE_FIELDS)
  if (!top) return undefined
  const settings = readSettings(r, top.settings, refs)
  const series: SeriesDef[] = []
  const ids = new Set<string>()
  r.list(top, [], 'series').forEach((raw, i) => {
    const def = readSeriesDef(r, raw, ['series', i], refs)
    if (!def) return
    if (ids.has(def.id)) { r.report(['series', i, 'id'], `duplicate series id "${def.id}"; each series needs its own`); return }
    ids.add(def.id)
    series.push(def)
  })
  const feeds: FeedConfig[] = []
  r.list(top, [], 'feeds').forEach((raw, i) => {
    const at = ['feeds', i]
    const f = r.mapping(raw, at, FEED_FIELDS)
    if (!f) return
    const id = r.string(f, at, 'id', true)
    const url = r.string(f, at, 'url')
    if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) r.report([...at, 'url'], `must be an http:// or https:// URL (got ${describe(url)})`)
    const everyMinutes = r.number(f, at, 'everyMinutes', 5, 30)
    if (id && url && everyMinutes !== undefined) feeds.push({ id, url, everyMinutes })
  })
  return { settings, series, feeds }
}

function readSettings(r: Reader, raw: unknown, refs: SeriesRefs): SeriesSettings {
  if (raw == null) return DEFAULT_SERIES_SETTINGS
  const s = r.mapping(raw, ['settings'], SETTINGS_FIELDS)
  if (!s) return DEFAULT_SERIES_SETTINGS
  let quietHours = DEFAULT_SERIES_SETTINGS.quietHours
  if (s.quietHours === null) quietHours = null
  else if (s.quietHours !== undefined) {
    const q = r.mapping(s.quietHours, ['settings', 'quietHours'], QUIET_FIELDS)
    const from = q && hhmm(r, q, ['settings', 'quietHours'], 'from')
    const to = q && hhmm(r, q, ['settings', 'quietHours'], 'to')
    if (from && to) quietHours = { from, to }
  }
  const perRunApproval = r.strings(s, ['settings'], 'perRunApproval', 'a node id')
  perRunApproval.forEach((n, i) => { if (!refs.nodes.has(n)) r.report(['settings', 'perRunApproval', i], unknownRef('node', 'nodes', n, refs.nodes)) })
  return {
    quietHours,
    catchUpMinutes: r.number(s, ['settings'], 'catchUpMinutes', 0, DEFAULT_SERIES_SETTINGS.catchUpMinutes) ?? DEFAULT_SERIES_SETTINGS.catchUpMinutes,
    perRunApproval,
  }
}

function hhmm(r: Reader, obj: Obj, at: Path, key: string): string | undefined {
  const v = obj[key]
  if (typeof v === 'string' && HHMM_RE.test(v)) return v.padStart(5, '0')
  r.report([...at, key], `must be a time of day "HH:MM" in quotes, e.g. "22:00" (got ${describe(v)})`)
  return undefined
}

/**
 * One series (from the file, or as the command centre sends it: the same checks). Returns
 * undefined when it has problems (each reported).
 */
export function readSeriesDef(r: Reader, raw: unknown, at: Path, refs: SeriesRefs, from: SeriesDef['from'] = 'config'): SeriesDef | undefined {
  const before = r.problems.list.length
  const o = r.mapping(raw, at, SERIES_FIELDS)
  if (!o) return undefined
  const id = r.string(o, at, 'id')
  if (id !== undefined && !SERIES_ID_RE.test(id)) r.report([...at, 'id'], `must be a short code of upper-case letters and digits starting with a letter, ≤ 8 characters, e.g. S1 (got ${describe(id)})`)
  const title = r.string(o, at, 'title')
  const tz = r.string(o, at, 'tz') ?? DEFAULT_TZ
  if (!knownTimeZone(tz)) r.report([...at, 'tz'], `unknown time zone ${describe(tz)}; use an IANA name such as ${DEFAULT_TZ}`)
  const schedule = r.string(o, at, 'schedule')
  let cron: string | undefined
  if (schedule !== undefined) {
    const c = scheduleToCron(schedule, knownTimeZone(tz) ? tz : DEFAULT_TZ)
    if ('problem' in c) r.report([...at, 'schedule'], c.problem)
    else cron = c.cron
  }
  const publisher = r.string(o, at, 'publisher')
  const origin = publisher !== undefined ? refs.publishers.get(publisher)?.[0] : undefined
  if (publisher !== undefined && !origin) r.report([...at, 'publisher'], unknownRef('publisher', 'publishers (people who publish at a node in network.yaml)', publisher, refs.publishers.keys()))
  const audience = r.strings(o, at, 'audience', 'a node id')
  audience.forEach((n, i) => { if (!refs.nodes.has(n)) r.report([...at, 'audience', i], unknownRef('node', 'nodes', n, refs.nodes)) })
  const severity = r.oneOf(o, at, 'severity', SEVERITIES) ?? 'normal'
  const category = r.string(o, at, 'category') ?? refs.categories[0] ?? '通知'
  if (o.category != null && !refs.categories.includes(category)) r.report([...at, 'category'], `unknown category ${describe(category)}; categories (network.yaml): ${refs.categories.join(', ')}`)
  const ackRequired = bool(r, o, at, 'ackRequired') ?? false
  const source = readSource_(r, o, at)
  const skipDates = r.strings(o, at, 'skipDates', 'a date YYYY-MM-DD')
  skipDates.forEach((d, i) => { if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(d))) r.report([...at, 'skipDates', i], `must be a date YYYY-MM-DD in quotes (got ${describe(d)})`) })
  if (r.problems.list.length > before || !id || !title || !schedule || !cron || !publisher || !origin || !source) return undefined
  return { id, title, schedule, cron, tz, publisher, origin, audience: audience.length ? audience : [origin], severity, category, ackRequired, source, skipDates, from }
}

function bool(r: Reader, o: Obj, at: Path, key: string): boolean | undefined {
  const v = o[key]
  if (v == null) return undefined
  if (typeof v === 'boolean') return v
  r.report([...at, key], `must be true or false (got ${describe(v)})`)
  return undefined
}

/** Exactly one of list, template, typed. */
function readSource_(r: Reader, o: Obj, at: Path): SeriesSource | undefined {
  const given = (['list', 'template', 'typed'] as const).filter(k => o[k] != null && o[k] !== false)
  if (given.length !== 1) {
    r.report(at, given.length ? `give only one of list, template, typed (got ${given.join(' and ')})` : 'needs where each run\'s text comes from: list (prepared texts), template (filled with each day\'s figures) or typed: true (typed by the publisher)')
    return undefined
  }
  if (o.repeat != null && given[0] !== 'list') r.report([...at, 'repeat'], 'only a list series repeats')
  if (given[0] === 'typed') return bool(r, o, at, 'typed') ? { kind: 'typed' } : undefined
  if (given[0] === 'template') {
    const template = r.string(o, at, 'template')
    if (!template) return undefined
    const fields = templateFields(template)
    return { kind: 'template', template, fields }
  }
  const items = r.strings(o, at, 'list', 'a text')
  if (!items.length) { r.report([...at, 'list'], 'needs at least one text'); return undefined }
  return { kind: 'list', items, repeat: bool(r, o, at, 'repeat') ?? false }
}

/** A series as the command centre sends it, checked like a series of series.yaml; each problem as "path: message". */
export function checkSeriesObject(obj: Obj, refs: SeriesRefs): { def?: SeriesDef; problems: string[] } {
  const problems = new Problems()
  const lines = new LineCounter()
  const src = { file: 'form', doc: parseDocument(JSON.stringify(obj), { lineCounter: lines }), lines, data: obj }
  const def = readSeriesDef(new Reader(src, problems), obj, [], refs, 'web')
  return { def: problems.list.length ? undefined : def, problems: problems.list.map(p => `${p.path || '(series)'}: ${p.message}`) }
}
