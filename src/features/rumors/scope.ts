/**
 * Where a curator-written rebuttal may be used (issue 13, item 2). A village curator's
 * `辟谣 S12 <text>` makes a library entry that the bots answer with by themselves only in the
 * groups of that curator's node (and below it); elsewhere the matcher's `reply` becomes a
 * `suggest`, so the local curators decide. Someone above widens it:
 *
 * - `推广 R35` (or `推广 S12`) in a private chat by a curator or backup of a node above the
 *   entry's scope (or a publisher there): the scope becomes that node and everything below it;
 *   at the district it is no longer limited;
 * - `广播 …` by a publisher or a district curator (which also sends it down as a notice, with
 *   approval at every tier): the scope becomes the broadcasting node.
 *
 * Entries of the library file are the district's own and are not limited. Redis (under the app's
 * namespace): `rumor:scope` hash entry id → JSON `{ node, by, at, widenedBy? }`; read at every
 * answer, so every process sees a widening at once.
 */
import { RumorStore } from './store.ts'
import type { Cascade, InboundContext } from '../../spine/cascade.ts'
import { staffCommandInGroup, type GuardHost } from '../../spine/guards.ts'

/** What of the app the scopes use. */
type ScopeHost = GuardHost & Pick<Cascade, 'nodeName'>

export interface RumorScope {
  /** The node whose groups (and those below) the entry answers in by itself. */
  node: string
  /** Who wrote the entry. */
  by: string
  at: number
  /** Who widened it last. */
  widenedBy?: string
}

/** `推广 R35`, `推广：S12`. */
const WIDEN = /^推广\s*[:：]?\s*([RrSs]\d{1,6})$/

export function parseWiden(text: string): string | undefined {
  return WIDEN.exec(text.trim())?.[1].toUpperCase()
}

/** Whether `node` is `ancestor` or below it. */
export function within(app: ScopeHost, node: string, ancestor: string): boolean {
  for (let n: string | undefined = node, hops = 0; n && hops < 64; n = app.cfg.nodes.get(n)?.parent, hops++) {
    if (n === ancestor) return true
  }
  return false
}

export class RumorScopes {
  constructor(private readonly app: ScopeHost) {}

  private get key(): string { return `${this.app.store.keys.base}rumor:scope` }

  async get(id: string): Promise<RumorScope | undefined> {
    const raw = await this.app.store.redis.hget(this.key, id)
    return raw ? JSON.parse(raw) as RumorScope : undefined
  }

  /** A new curator-written entry: used by itself only in the author's node and below. */
  async limit(id: string, node: string, by: string): Promise<void> {
    await this.app.store.redis.hset(this.key, id, JSON.stringify({ node, by, at: this.app.now() } satisfies RumorScope))
  }

  /** Whether the entry may answer by itself in a group (or a DM routed to) `node`. */
  async covers(id: string, node: string): Promise<boolean> {
    const scope = await this.get(id)
    return !scope || within(this.app, node, scope.node)
  }

  /** Sets the scope to `node` and below (the whole district: no limit any more). */
  async widen(id: string, node: string, by: string): Promise<void> {
    const scope = await this.get(id)
    if (!scope || within(this.app, node, scope.node)) return // already as wide
    if (node === this.app.cfg.rootId) await this.app.store.redis.hdel(this.key, id)
    else await this.app.store.redis.hset(this.key, id, JSON.stringify({ ...scope, node, widenedBy: by, at: this.app.now() }))
    this.app.log.info('rumor.widened', { id, node, actor: by })
  }

  /** The `推广 R35` handler (installed before the rumor desk). */
  async handle({ msg, person }: InboundContext): Promise<string[] | undefined> {
    const ref = parseWiden(msg.text)
    if (!ref || !person) return undefined
    if (msg.topic) return staffCommandInGroup(this.app, msg, person)
    const t = this.app.t.bind(this.app)
    let id = ref
    if (ref.startsWith('S')) {
      const s = await new RumorStore(this.app.store.redis, this.app.store.keys.base).suggestion(ref)
      if (!s?.entryId) return [t('rumor_unknown_code', { code: ref })]
      id = s.entryId
    }
    const scope = await this.get(id)
    if (!scope) return [t('rumor_widen_unlimited', { id })]
    const r = this.app.rolesOf(person)
    // The widest node above the scope that this person approves or publishes for.
    const mine = [...r.curator, ...r.backup, ...r.publisher].filter(n => n !== scope.node && within(this.app, scope.node, n))
    const to = mine.sort((a, b) => depth(this.app, a) - depth(this.app, b))[0]
    if (!to) return [t('rumor_widen_denied', { id, node: this.app.nodeName(scope.node) })]
    await this.widen(id, to, person)
    return [t('rumor_widen_ok', { id, node: this.app.nodeName(to), author: this.app.personName(scope.by) })]
  }
}

function depth(app: ScopeHost, node: string): number {
  let d = 0
  for (let n = app.cfg.nodes.get(node)?.parent; n && d < 64; n = app.cfg.nodes.get(n)?.parent) d++
  return d
}
