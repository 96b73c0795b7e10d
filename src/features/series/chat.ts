/**
 * The series in chat (private messages of bound people):
 *   通过 系列 S1        a curator approves the series once at their nodes (parsed by domain/commands.ts)
 *   暂停 S1 / 恢复 S1 / 停止 S1   a curator for their subtree; the series' publisher for all of it
 *   通报 [S1] 确诊0 疑似0 隔离32   the figures of the next run of a template series (its publisher)
 *   系列 S1 <正文>      the text of a typed series' run (its publisher)
 */
import type { InboundContext } from '../../spine/inbound.ts'
import { normalizeChat } from '../../domain/text.ts'
import { dateAndClock } from '../../domain/status.ts'
import { parseFigures, type SeriesDef } from '../../domain/series.ts'
import type { SeriesApprovals } from './approvals.ts'
import type { SeriesEngine } from './series.ts'

const PAUSE = /^(暂停|恢复|停止)\s*(?:系列)?\s*([A-Za-z][A-Za-z0-9]{0,7})$/
const APPROVE_JOINED = /^通过系列\s*([A-Za-z][A-Za-z0-9]{0,7})$/
const FIGURES = /^通报(?:\s+([A-Za-z][A-Za-z0-9]{0,7})(?=\s))?\s*([\s\S]+)$/
const TYPED = /^系列\s*([A-Za-z][A-Za-z0-9]{0,7})(?:[\s:：]+([\s\S]*))?$/

export class SeriesChat {
  constructor(private readonly e: SeriesEngine, private readonly approvals: SeriesApprovals) {}
  private get app() { return this.e.app }

  async handle({ msg, person }: InboundContext): Promise<string[] | undefined> {
    if (!person || msg.topic || msg.kind === 'image') return undefined
    const text = normalizeChat(msg.text).trim()
    const head = text.normalize('NFKC')
    let m = PAUSE.exec(head)
    if (m) return [await this.approvals.setPause(person, m[2].toUpperCase(), m[1] === '暂停' ? 'pause' : m[1] === '恢复' ? 'resume' : 'stop')]
    m = APPROVE_JOINED.exec(head)
    if (m) return [await this.approvals.approve(person, m[1].toUpperCase())]
    // 通报 … and 系列 S3 … are only the series' for a publisher who feeds such a series; else they pass on.
    if (head.startsWith('通报') && (await this.mine(person, 'template')).length) return [await this.figures(person, head)]
    if ((head === '系列' || TYPED.test(head)) && (await this.mine(person, 'typed')).length) return [await this.typed(person, msg.text.trim())]
    return undefined
  }

  /** The series this publisher may feed, of a kind. */
  private async mine(person: string, kind: SeriesDef['source']['kind']): Promise<SeriesDef[]> {
    const origins = this.app.rolesOf(person).publisher
    return (await this.e.defs()).filter(d => d.source.kind === kind && (d.publisher === person || origins.includes(d.origin)))
  }

  private async figures(person: string, head: string): Promise<string> {
    const m = FIGURES.exec(head)
    const mine = await this.mine(person, 'template')
    const def = m?.[1] ? mine.find(d => d.id === m[1].toUpperCase()) : mine.length === 1 ? mine[0] : undefined
    if (!def || def.source.kind !== 'template') return this.app.t('series_unknown', { id: m?.[1]?.toUpperCase() ?? '（请写系列编号，如 通报 S1 …）', ids: mine.map(d => d.id).join('、') })
    const fields = def.source.fields
    const figures = m ? parseFigures(m[2], fields) : undefined
    const example = `通报 ${def.id} ${fields.map(f => `${f}0`).join(' ')}`
    if (!figures) return this.app.t('series_figures_bad', { id: def.id, fields: fields.join('、'), example })
    const date = await this.e.submitFigures(def, figures, person)
    return this.app.t('series_figures_ok', { id: def.id, date, figures: Object.entries(figures).map(([k, v]) => `${k}${v}`).join(' '), time: dateAndClock(this.e.next(def)) })
  }

  private async typed(person: string, raw: string): Promise<string> {
    const m = TYPED.exec(raw.normalize('NFKC').trim())
    const mine = await this.mine(person, 'typed')
    if (!m || !m[2]?.trim()) return this.app.t('series_usage')
    const def = mine.find(d => d.id === m[1].toUpperCase())
    if (!def) return this.app.t('series_unknown', { id: m[1].toUpperCase(), ids: mine.map(d => d.id).join('、') })
    // The text as typed (its own characters, not the normalized form), after the verb and the id.
    const text = raw.replace(/^系列\s*[A-Za-zＡ-Ｚａ-ｚ][A-Za-z0-9Ａ-Ｚａ-ｚ０-９]{0,7}[\s:：]+/, '').trim()
    const { run, savedFor } = await this.e.submitTyped(def, text, person)
    if (run?.code) return this.app.t('series_typed_ok', { id: def.id, code: run.code, time: run.state === 'held' && run.heldUntil ? `将于 ${dateAndClock(run.heldUntil)}（夜间免打扰时段结束后）` : '已' })
    return this.app.t('series_typed_saved', { id: def.id, time: dateAndClock(savedFor ?? this.e.next(def)) })
  }
}
