/**
 * The district's inbox: what arrives from upstream (RSS/Atom feeds, POST /api/inbox, a
 * publisher's 收录 in chat) waits here, de-duplicated, until a publisher selects it (classifies,
 * edits, publishes it as a notice) or dismisses it. Nothing here is ever posted without a
 * person's 选用. See docs/SERIES.md.
 *
 *   inbox:next            counter of item ids (I1, I2, …)
 *   inbox:item:<id>       JSON of the item
 *   inbox:items           zset id → arrival (all), inbox:waiting  zset id → arrival (waiting)
 *   inbox:key:<sha>       item id of a source's key (a feed item's guid or link; an API client's id)
 *   inbox:text:<sha>      item id of a text (the same text from two sources is one item)
 *   inbox:decided:<id>    claim of the one decision (选用 or 不用)
 *   inbox:feed:<feed>     the feed's last ETag and Last-Modified (conditional GET)
 */
import { createHash } from 'node:crypto'
import type { Cascade } from '../../spine/cascade.ts'
import type { Severity } from '../../domain/announcement.ts'
import { isBlank, wellFormed } from '../../domain/text.ts'

export type InboxHost = Pick<Cascade, 'cfg' | 'store' | 'timers' | 'publish' | 'now' | 'log' | 't' | 'rolesOf' | 'use' | 'addHelp'>

export type InboxState = 'waiting' | 'published' | 'dismissed'
export const INBOX_STATE_ZH: Record<InboxState, string> = { waiting: '待选', published: '已发布', dismissed: '不用' }

export interface InboxItem {
  id: string
  /** Where it came from: a feed id, `api`, `chat`. */
  source: string
  title: string
  text: string
  link?: string
  state: InboxState
  receivedAt: number
  /** The source sent it again with other content (a feed item edited upstream). */
  changedAt?: number
  changes: number
  /** A changed item that was already decided comes back as a new item referring to it. */
  updateOf?: string
  by?: string
  decidedAt?: number
  code?: string
  category?: string
}

export interface InboxInput { source: string; key?: string; title?: string; text: string; link?: string; by?: string }
export type AddResult = { outcome: 'new' | 'changed' | 'duplicate'; item: InboxItem }

const MAX_TEXT = 2000
const sha = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32)

export class Inbox {
  constructor(readonly app: InboxHost) {}
  private get r() { return this.app.store.redis }
  private k(rest: string): string { return `${this.app.store.keys.base}inbox:${rest}` }

  async item(id: string): Promise<InboxItem | undefined> {
    const v = await this.r.get(this.k(`item:${id.toUpperCase()}`))
    return v ? JSON.parse(v) as InboxItem : undefined
  }
  private async save(item: InboxItem): Promise<void> { await this.r.set(this.k(`item:${item.id}`), JSON.stringify(item)) }

  /** Items, newest first: the waiting ones, or all. */
  async list(which: 'waiting' | 'all' = 'waiting', n = 50): Promise<InboxItem[]> {
    const ids = await this.r.zrevrange(this.k(which === 'waiting' ? 'waiting' : 'items'), 0, n - 1)
    return (await Promise.all(ids.map(id => this.item(id)))).filter((x): x is InboxItem => x !== undefined)
  }

  /**
   * Adds an item unless it is already here: the same key with the same content is a duplicate;
   * the same key with new content updates a waiting item (or, once decided, comes as a new item
   * referring to the old); the same text from another source is a duplicate.
   */
  async add(input: InboxInput): Promise<AddResult> {
    const text = wellFormed(input.text).trim().slice(0, MAX_TEXT)
    const title = wellFormed(input.title ?? '').trim().slice(0, 200)
    if (isBlank(text) && isBlank(title)) throw new Error('an inbox item needs a title or a text')
    const contentKey = this.k(`text:${sha(`${title}\n${text}`)}`)
    const sourceKey = input.key ? this.k(`key:${sha(`${input.source}\n${input.key}`)}`) : undefined
    const known = sourceKey ? await this.r.get(sourceKey) : undefined
    const sameText = await this.r.get(contentKey)
    if (sameText) return { outcome: 'duplicate', item: (await this.item(sameText))! }
    const now = this.app.now()
    if (known) {
      const old = await this.item(known)
      if (old && old.state === 'waiting') {
        const changed = { ...old, title, text, link: input.link ?? old.link, changedAt: now, changes: old.changes + 1 }
        await this.save(changed)
        await this.r.set(contentKey, old.id)
        return { outcome: 'changed', item: changed }
      }
    }
    const id = `I${await this.r.incr(this.k('next'))}`
    // A parallel add of the same text: the first keeps it, the other is a duplicate.
    if (await this.r.set(contentKey, id, 'NX') !== 'OK') return { outcome: 'duplicate', item: (await this.item((await this.r.get(contentKey))!))! }
    const item: InboxItem = { id, source: input.source, title, text, link: input.link, state: 'waiting', receivedAt: now, changes: 0, ...(known ? { updateOf: known } : {}), ...(input.by ? { by: input.by } : {}) }
    await this.save(item)
    if (sourceKey) await this.r.set(sourceKey, id)
    await this.r.zadd(this.k('items'), now, id)
    await this.r.zadd(this.k('waiting'), now, id)
    this.app.log.info('inbox.added', { id, source: input.source, updateOf: item.updateOf })
    return { outcome: known ? 'changed' : 'new', item }
  }

  /**
   * A publisher selects an item: published from `node` as a notice with their category,
   * severity and (edited) text. Exactly one decision per item.
   */
  async select(id: string, by: string, node: string, choice: { category?: string; text?: string; severity?: Severity } = {}): Promise<{ item?: InboxItem; code?: string; problem?: 'unknown' | 'decided' }> {
    const item = await this.item(id)
    if (!item) return { problem: 'unknown' }
    if (item.state !== 'waiting' || await this.r.set(this.k(`decided:${item.id}`), by, 'NX') !== 'OK') return { item, problem: 'decided' }
    const text = choice.text?.trim() || [item.title, item.text].filter(Boolean).join('\n')
    const category = choice.category ?? this.app.cfg.categories[0]
    const a = await this.app.publish({ node, author: by, text, category, severity: choice.severity ?? 'normal', ackRequired: false })
    const done: InboxItem = { ...item, state: 'published', by, decidedAt: this.app.now(), code: a.code, category }
    await this.save(done)
    await this.r.zrem(this.k('waiting'), item.id)
    await this.app.store.audit(a.code, { kind: 'from-inbox', actor: by, at: done.decidedAt!, item: item.id, source: item.source })
    this.app.log.info('inbox.selected', { id: item.id, code: a.code, by })
    return { item: done, code: a.code }
  }

  async dismiss(id: string, by: string): Promise<{ item?: InboxItem; problem?: 'unknown' | 'decided' }> {
    const item = await this.item(id)
    if (!item) return { problem: 'unknown' }
    if (item.state !== 'waiting' || await this.r.set(this.k(`decided:${item.id}`), by, 'NX') !== 'OK') return { item, problem: 'decided' }
    const done: InboxItem = { ...item, state: 'dismissed', by, decidedAt: this.app.now() }
    await this.save(done)
    await this.r.zrem(this.k('waiting'), item.id)
    this.app.log.info('inbox.dismissed', { id: item.id, by })
    return { item: done }
  }
}

const INSTANCES = new WeakMap<object, Inbox>()
export function inboxOf(app: object): Inbox | undefined { return INSTANCES.get(app) }
export function setInboxOf(app: object, i: Inbox): void { INSTANCES.set(app, i) }
