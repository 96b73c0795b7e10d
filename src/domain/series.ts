/**
 * Series: recurring bulletins (a daily situation report, a tip a day, a text the publisher types
 * each day). The pure rules: schedules (cron or 「每天 08:00」), slots in a time zone, quiet hours,
 * where a run's text comes from, figures as typed in chat, and the content hash that makes an
 * edit ask every tier again. No I/O. See docs/SERIES.md.
 */
import { CronExpressionParser } from 'cron-parser'
import type { Severity } from './announcement.ts'

export const DEFAULT_TZ = 'Asia/Shanghai'

/** Where each run's text comes from. */
export type SeriesSource =
  /** One prepared text per run, in order; then the series ends, or starts over with `repeat`. */
  | { kind: 'list'; items: string[]; repeat: boolean }
  /** A template filled with the figures supplied for the run's date; none → the run is skipped. */
  | { kind: 'template'; template: string; fields: string[] }
  /** The publisher types each run; at the time they are reminded if they have not yet. */
  | { kind: 'typed' }

export interface SeriesDef {
  /** Short code typed in chat: `暂停 S1`. Upper-case letters and digits. */
  id: string
  title: string
  /** The schedule as written (「每天 08:00」 or a cron pattern). */
  schedule: string
  /** The cron pattern it means (5 fields, minute first). */
  cron: string
  tz: string
  /** The person who publishes the runs (told when a run is skipped, reminded for typed runs). */
  publisher: string
  /** The node each run is published from (the publisher's node). */
  origin: string
  /** The nodes whose subtrees receive it (default: the origin: everyone). */
  audience: string[]
  severity: Severity
  category: string
  ackRequired: boolean
  source: SeriesSource
  /** Local dates (YYYY-MM-DD) on which no run is made. */
  skipDates: string[]
  /** `config` (config/series.yaml) or `web` (made in the command centre). */
  from: 'config' | 'web'
}

export interface QuietHours { from: string; to: string }

export interface SeriesSettings {
  /** Non-urgent runs are not posted between these local times (default 22:00–07:00). */
  quietHours: QuietHours | null
  /** A run missed while no process ran timers is made late within this many minutes, else skipped (default 120). */
  catchUpMinutes: number
  /** Nodes whose curators approve each run, not the series once. */
  perRunApproval: string[]
}

export const DEFAULT_SERIES_SETTINGS: SeriesSettings = { quietHours: { from: '22:00', to: '07:00' }, catchUpMinutes: 120, perRunApproval: [] }

export const SERIES_ID_RE = /^[A-Z][A-Z0-9]{0,7}$/

const DAY_WORDS: Record<string, string> = { 每天: '*', 每日: '*', 工作日: '1-5', 周末: '0,6' }
const WEEKDAYS: Record<string, number> = { 日: 0, 天: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6 }

/**
 * 「每天 08:00」, 「工作日 07:30」, 「每周一 09:00」 or a 5-field cron pattern → the cron pattern;
 * a string problem when it cannot be read.
 */
export function scheduleToCron(text: string, tz = DEFAULT_TZ): { cron: string } | { problem: string } {
  const s = text.normalize('NFKC').trim()
  const m = /^(每天|每日|工作日|周末|每周([一二三四五六日天]))\s*(\d{1,2})[:：](\d{2})$/.exec(s)
  if (m) {
    const [hh, mm] = [Number(m[3]), Number(m[4])]
    if (hh > 23 || mm > 59) return { problem: `no such time of day "${m[3]}:${m[4]}"` }
    const dow = m[2] ? String(WEEKDAYS[m[2]]) : DAY_WORDS[m[1]]
    return { cron: `${mm} ${hh} * * ${dow}` }
  }
  if (s.split(/\s+/).length !== 5) return { problem: 'must be 「每天 08:00」, 「工作日 08:00」, 「每周一 08:00」 or a cron pattern of 5 fields (minute hour day month weekday), e.g. "0 8 * * *"' }
  try {
    CronExpressionParser.parse(s, { tz })
    return { cron: s }
  } catch (err) {
    return { problem: `not a cron pattern: ${(err as Error).message}` }
  }
}

/** Whether `tz` is a time zone this runtime knows. */
export function knownTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true } catch { return false }
}

/** The first slot strictly after `t`. */
export function nextSlot(cron: string, tz: string, t: number): number {
  return CronExpressionParser.parse(cron, { currentDate: new Date(t), tz }).next().getTime()
}

/** The latest slot at or before `t` (undefined when the pattern has none). */
export function slotAtOrBefore(cron: string, tz: string, t: number): number | undefined {
  try { return CronExpressionParser.parse(cron, { currentDate: new Date(t + 1), tz }).prev().getTime() } catch { return undefined }
}

/** Local date and time parts of `t` in `tz`. */
export function localParts(t: number, tz: string): { date: string; hhmm: string; minutes: number } {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map(x => [x.type, x.value]))
  return { date: `${p.year}-${p.month}-${p.day}`, hhmm: `${p.hour}:${p.minute}`, minutes: Number(p.hour) * 60 + Number(p.minute) }
}

/** A run's key: its local date and time, e.g. `2026-12-05T08-00` (usable in job ids and keys). */
export function runKey(slot: number, tz: string): string {
  const { date, hhmm } = localParts(slot, tz)
  return `${date}T${hhmm.replace(':', '-')}`
}

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number)
  return h * 60 + m
}

export const HHMM_RE = /^([01]?\d|2[0-3]):[0-5]\d$/

/**
 * When a non-urgent run at `t` may be posted: `t` itself outside quiet hours, else the end of
 * the quiet hours (the next local `to`). Urgent runs are never held (the caller does not ask).
 */
export function afterQuietHours(t: number, tz: string, quiet: QuietHours | null): number {
  if (!quiet) return t
  const { minutes } = localParts(t, tz)
  const [from, to] = [minutesOf(quiet.from), minutesOf(quiet.to)]
  const inside = from <= to ? minutes >= from && minutes < to : minutes >= from || minutes < to
  if (!inside) return t
  const [h, m] = quiet.to.split(':')
  return nextSlot(`${Number(m)} ${Number(h)} * * *`, tz, t)
}

/** Placeholders `{确诊}` of a template, in order, once each. */
export function templateFields(template: string): string[] {
  return [...new Set([...template.matchAll(/\{([^{}\s]{1,20})\}/g)].map(m => m[1]))].filter(f => f !== 'date')
}

/** The template filled with `figures` (and `{date}`); the fields still missing, if any. */
export function fillTemplate(template: string, figures: Record<string, string>, date: string): { text: string; missing: string[] } {
  const missing = templateFields(template).filter(f => !figures[f]?.trim())
  const [, mo, d] = date.split('-').map(Number)
  const text = template.replace(/\{([^{}\s]{1,20})\}/g, (whole, f: string) => f === 'date' ? `${mo}月${d}日` : figures[f] ?? whole)
  return { text, missing }
}

/**
 * 「确诊0 疑似0 隔离32」, 「确诊：0，疑似：0」 or 「确诊=0 隔离 32」 → { 确诊: '0', … };
 * only the given `fields` are read; undefined when none was found.
 */
export function parseFigures(text: string, fields: readonly string[]): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  const s = text.normalize('NFKC')
  for (const f of fields) {
    const esc = f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const m = new RegExp(`${esc}\\s*[:=]?\\s*(\\d+(?:\\.\\d+)?)`).exec(s)
    if (m) out[f] = m[1]
  }
  return Object.keys(out).length ? out : undefined
}

/** A short hash of what the curators approved: the text source (an edit asks every tier again). */
export function contentHash(source: SeriesSource): string {
  const basis = source.kind === 'list' ? `list\n${source.items.join('\n\u0000')}` : source.kind === 'template' ? `template\n${source.template}` : 'typed'
  let h = 0x811c9dc5
  for (let i = 0; i < basis.length; i++) h = Math.imul(h ^ basis.charCodeAt(i), 0x01000193) >>> 0
  return h.toString(36)
}

/** The nodes a series reaches: the audience nodes' subtrees and the nodes on the way to them. */
export function reaches(audience: readonly string[], pathOf: (node: string) => string[], node: string): boolean {
  const path = pathOf(node)
  return audience.some(a => path.includes(a) || pathOf(a).includes(node))
}

/** Where a run ended up (one record per series and slot). */
export type RunState = 'running' | 'published' | 'held' | 'awaiting-text' | 'skipped' | 'ended'
export type SkipWhy = 'no-figures' | 'missed' | 'paused' | 'skip-date' | 'ended'

export interface SeriesRun {
  series: string
  key: string
  slot: number
  state: RunState
  at: number
  code?: string
  why?: SkipWhy
  /** Held by quiet hours: when it goes out. */
  heldUntil?: number
  /** The list item a list run posted (0-based). */
  item?: number
}
