/**
 * The API of the inbox and the series (mounted under /api by api.ts, behind the token):
 *   POST /api/inbox               {text, title?, link?, id?, source?} → 201 {id, outcome: new|changed|duplicate}
 *   POST /api/series/:id/figures  {<field>: number|string, …} → 200 {series, date, figures}
 */
import express from 'express'
import type { Cascade } from '../spine/cascade.ts'
import type { Logger } from '../infra/log.ts'
import { isBlank } from '../domain/text.ts'
import { inboxOf } from '../features/inbox/inbox.ts'
import { seriesOf } from '../features/series/series.ts'
import { API_AUTHOR, MAX_TEXT_CHARS } from './shared.ts'

const str = (v: unknown): string | undefined => typeof v === 'string' ? v : undefined

export function inboxApi(app: Cascade, log: Logger): express.Router {
  const r = express.Router()
  const json = express.json({ limit: '64kb' })

  r.post('/inbox', json, async (req, res) => {
    const b = (req.body ?? {}) as Record<string, unknown>
    const text = str(b.text) ?? ''
    const problems: string[] = []
    if (isBlank(text) && isBlank(str(b.title) ?? '')) problems.push('text: required, a non-empty string (or give a title)')
    if (text.length > MAX_TEXT_CHARS) problems.push(`text: at most ${MAX_TEXT_CHARS} characters`)
    for (const k of ['title', 'link', 'id', 'source'] as const) if (b[k] !== undefined && typeof b[k] !== 'string') problems.push(`${k}: must be a string`)
    if (str(b.link) && !/^https?:\/\/\S+$/.test(str(b.link)!)) problems.push('link: must be an http(s) URL')
    if (problems.length) { res.status(400).json({ error: 'bad inbox item', problems }); return }
    const source = `api${str(b.source) ? `:${str(b.source)!.slice(0, 40)}` : ''}`
    const out = await inboxOf(app)!.add({ source, key: str(b.id), title: str(b.title), text, link: str(b.link), by: API_AUTHOR })
    log.info('api.inbox', { id: out.item.id, outcome: out.outcome })
    res.status(out.outcome === 'new' ? 201 : 200).json({ id: out.item.id, outcome: out.outcome, state: out.item.state })
  })

  r.post('/series/:id/figures', json, async (req, res) => {
    const e = seriesOf(app)!
    const def = await e.def(String(req.params.id))
    if (!def) { res.status(404).json({ error: `no series "${req.params.id}"`, series: (await e.defs()).map(d => d.id) }); return }
    if (def.source.kind !== 'template') { res.status(400).json({ error: `series ${def.id} takes no figures (its text is ${def.source.kind === 'list' ? 'a prepared list' : 'typed each run'})` }); return }
    const b = (req.body ?? {}) as Record<string, unknown>
    const fields = def.source.fields
    const figures: Record<string, string> = {}
    const problems: string[] = []
    for (const [k, v] of Object.entries(b)) {
      if (!fields.includes(k)) problems.push(`${k}: not a field of ${def.id}; fields: ${fields.join(', ')}`)
      else if ((typeof v === 'number' && Number.isFinite(v) && v >= 0) || (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v))) figures[k] = String(v)
      else problems.push(`${k}: must be a number ≥ 0`)
    }
    if (!Object.keys(figures).length && !problems.length) problems.push(`give at least one of: ${fields.join(', ')}`)
    if (problems.length) { res.status(400).json({ error: 'bad figures', problems }); return }
    const date = await e.submitFigures(def, figures, API_AUTHOR)
    res.json({ series: def.id, date, figures })
  })
  return r
}
