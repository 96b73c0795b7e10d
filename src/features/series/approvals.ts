/**
 * Approval once per series and tier, revocable; pause, resume and stop for a subtree.
 *
 * A run of a series opens relays like any notice; before a node's curators are asked
 * (`relays.decideUnasked`), a node that approved this series' current content forwards it
 * (`auto-forward`, why `series`, in the run's audit), a node under a pause (its own or above it)
 * or outside the audience gets nothing (`withheld`). An edit of the list or template changes the
 * content hash, so every tier is asked again.
 */
import type { Announcement, Relay } from '../../domain/announcement.ts'
import { reaches, type SeriesDef } from '../../domain/series.ts'
import { nodePath } from '../../config/load.ts'
import type { SeriesEngine } from './series.ts'

export type PauseAction = 'pause' | 'resume' | 'stop'

export class SeriesApprovals {
  constructor(private readonly e: SeriesEngine) {}
  private get app() { return this.e.app }

  private reachesNode(def: SeriesDef, node: string): boolean {
    return reaches(def.audience, n => nodePath(this.app.cfg, n), node)
  }

  /** The spine's question before asking a relay's curators (see the file's comment). */
  async unasked(a: Announcement, r: Relay): Promise<'series' | 'withhold' | undefined> {
    if (!a.series) return undefined
    const def = await this.e.def(a.series.id)
    if (!def) return undefined
    if (!this.reachesNode(def, r.node)) return 'withhold'
    const paused = await this.e.st.pauses(def.id)
    if (paused.size && nodePath(this.app.cfg, r.node).some(n => paused.has(n))) return 'withhold'
    if (this.e.settings.perRunApproval.includes(r.node)) return undefined
    const ok = (await this.e.st.approvals(def.id)).get(r.node)
    return ok && ok.hash === a.series.hash ? 'series' : undefined
  }

  /** After a run's curators were asked: how to approve the whole series at once. */
  async hint(a: Announcement, r: Relay): Promise<void> {
    if (!a.series || this.e.settings.perRunApproval.includes(r.node)) return
    const def = await this.e.def(a.series.id)
    if (!def) return
    for (const curator of this.app.cfg.nodes.get(r.node)?.curators ?? []) {
      await this.app.tell(curator, r.node, `${a.code}-series-hint-${r.node}-${curator}`, this.app.t('series_approval_hint', { id: def.id, title: def.title, code: a.code }))
    }
  }

  /** The nodes of `person` (curator or backup) that this series reaches. */
  nodesOf(def: SeriesDef, person: string): string[] {
    return this.app.approvesFor(person).filter(n => n !== def.origin && this.reachesNode(def, n))
  }

  /**
   * `通过 系列 S1`: approved at each of the person's nodes for the current content; the runs
   * pending there now are approved too. Returns the reply.
   */
  async approve(person: string, id: string): Promise<string> {
    const def = await this.e.def(id)
    if (!def) return this.unknown(id)
    const nodes = this.nodesOf(def, person)
    if (!nodes.length) return this.app.t('series_not_yours', { id: def.id })
    const perRun = nodes.filter(n => this.e.settings.perRunApproval.includes(n))
    const once = nodes.filter(n => !perRun.includes(n))
    if (!once.length) return this.app.t('series_per_run', { id: def.id, nodes: perRun.map(n => this.app.nodeName(n)).join('、') })
    const hash = this.e.hash(def)
    const at = this.app.now()
    let count = 0
    for (const node of once) {
      await this.e.st.approve(def.id, node, { hash, by: person, at })
      await this.e.st.log(def.id, { kind: 'approve', node, by: person, at, hash })
      for (const code of await this.app.store.pendingCodes(node)) {
        const a = await this.app.store.announcement(code)
        if (a?.series?.id !== def.id || a.series.hash !== hash) continue
        if ((await this.app.decide(a, node, person, { action: 'approve' })).changed) count++
      }
    }
    this.app.log.info('series.approved', { series: def.id, nodes: once, by: person, pendingApproved: count })
    return this.app.t('series_approved', { id: def.id, title: def.title, nodes: once.map(n => this.app.nodeName(n)).join('、'), count })
  }

  /**
   * Pause, resume or stop at the person's nodes (a curator's subtree) — or, for the series'
   * publisher, at its origin (the whole series). Stop also revokes the node's approval.
   */
  async setPause(person: string, id: string, action: PauseAction): Promise<string> {
    const def = await this.e.def(id)
    if (!def) return this.unknown(id)
    const publishes = this.app.rolesOf(person).publisher.includes(def.origin)
    const nodes = publishes ? [def.origin] : this.nodesOf(def, person)
    if (!nodes.length) return this.app.t('series_not_yours', { id: def.id })
    await this.pauseAt(def, nodes, action, person)
    const key = action === 'pause' ? 'series_paused' : action === 'resume' ? 'series_resumed' : 'series_stopped'
    return this.app.t(key, { id: def.id, title: def.title, nodes: nodes.map(n => this.app.nodeName(n)).join('、') })
  }

  /** The same for ops (CLI, command centre): at the given nodes. */
  async pauseAt(def: SeriesDef, nodes: string[], action: PauseAction, by: string): Promise<void> {
    const at = this.app.now()
    for (const node of nodes) {
      if (action === 'resume') await this.e.st.resume(def.id, node)
      else await this.e.st.pause(def.id, node, { by, at, stopped: action === 'stop' })
      if (action === 'stop') await this.e.st.revoke(def.id, node)
      await this.e.st.log(def.id, { kind: action, node, by, at })
    }
    this.app.log.info(`series.${action}`, { series: def.id, nodes, by })
  }

  private async unknown(id: string): Promise<string> {
    return this.app.t('series_unknown', { id, ids: (await this.e.defs()).map(d => d.id).join('、') || '无' })
  }
}
