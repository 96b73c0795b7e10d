/**
 * What one account's runtime does with the real client's own news (client-events.ts): every
 * problem said once in the log, in the health record (/status, the command centre) and, where ops
 * must act, in the district's ops group; and the groups and people resolved again whenever the
 * contact list has (re)loaded.
 *
 * - barred from web login → `barred from web WeChat` with WeChat's words, ops told once;
 * - a resume failing / a stalled sync → `reconnecting` / `sync stalled` until it works again;
 * - the contact list failing → `loading contacts` (no group is called missing meanwhile); loaded →
 *   groups and people resolved again, what is still missing reported with the right hint;
 * - removed from a group → missing at once, its posts moved to an account in the group, ops told;
 * - a group renamed → ops told the old and the new name (posting goes on by id);
 * - member lists fetched again → groups resolved again (other accounts recognised, counts kept).
 */
import type { ClientEvent, GroupEvent } from './client-events.ts'
import type { Account } from './account.ts'
import { hasLoadedContacts } from './wechat4u.ts'
import type { AccountGroups } from './groups.ts'
import type { AccountIdentity } from './identity.ts'
import type { Rebalancer } from './rebalance.ts'

export interface ClientWatchDeps {
  acc: Account
  groups: AccountGroups
  identity: AccountIdentity
  rebalancer: Rebalancer
  /** The account's puppet (Wechaty's own is not there before it starts). */
  puppet: unknown
  /** Whether the login's own resolve has finished (a load before then is the login's). */
  resolvedOnce(): boolean
}

export class ClientWatch {
  private barredTold = false
  private reresolve?: NodeJS.Timeout
  private resolving: Promise<void> = Promise.resolve()
  readonly dispose: () => void

  constructor(private readonly d: ClientWatchDeps) {
    const loaded = hasLoadedContacts(d.puppet) ? d.puppet : undefined
    this.dispose = loaded ? loaded.onClientEvent(e => { void this.on(e).catch(err => d.acc.log.warn('client-event.failed', { kind: e.kind, err })) }) : () => undefined
  }

  private get acc(): Account { return this.d.acc }

  private async on(e: ClientEvent): Promise<void> {
    const { health, id } = this.acc
    const now = Date.now()
    switch (e.kind) {
      case 'barred':
        await health.recordBarred(id, now, e.why)
        if (!this.barredTold) {
          this.barredTold = true
          const text = this.acc.app.t('ops_bot_barred', { name: this.acc.bot.name, bot: id, why: e.why })
          await this.d.rebalancer.tellOps(`ops-barred-${id}-${now}`, text)
        }
        return
      case 'session-retry':
        return health.recordTrouble(id, 'reconnecting', now, e.why, now + e.retryInMs)
      case 'sync-stalled':
        return health.recordTrouble(id, 'sync stalled', now, `no sync for ${Math.round(e.stalledMs / 1000)} s`)
      case 'session-ok':
        return health.clearTrouble(id)
      case 'contacts-failed':
        return health.recordContactsFailing(id, now, e.why, e.attempt)
      case 'contacts-loaded':
        await health.clearContactsFailing(id)
        return this.resolveSoon(0)
      case 'members-refreshed':
        return this.resolveSoon(1000)
      case 'logged-out-by-send':
        return
      case 'group':
        return this.onGroup(e.event)
    }
  }

  /** Groups and people resolved again (coalesced), once the login's own resolve is done. */
  private resolveSoon(ms: number): void {
    if (!this.d.resolvedOnce() || this.reresolve) return
    this.reresolve = setTimeout(() => {
      this.reresolve = undefined
      this.resolving = this.resolving.then(() => this.resolveAgain()).catch(err => this.acc.log.warn('resolve-again.failed', { err }))
    }, ms)
    this.reresolve.unref()
  }

  private async resolveAgain(): Promise<void> {
    if (!this.acc.isLoggedIn() || this.acc.isStopping()) return
    await this.d.groups.resolve()
    await this.d.identity.check()
    const groups = this.d.groups.listLoaded ? this.d.groups.missing : []
    await this.acc.health.recordMissing(this.acc.id, { groups, people: this.d.identity.missing })
    await this.tellMissing(Date.now())
  }

  private readonly toldMissing = new Set<string>()

  /** Ops hear of groups not found (with the hint that fits) and of unnamed groups. */
  async tellMissing(at: number): Promise<void> {
    const { app, bot, id } = this.acc
    if (!this.d.groups.listLoaded) return
    for (const t of this.toldMissing) if (!this.d.groups.missing.includes(t)) this.toldMissing.delete(t)
    const topics = this.d.groups.missing.filter(t => !this.toldMissing.has(t))
    if (topics.length) {
      for (const t of topics) this.toldMissing.add(t)
      const text = app.t('ops_groups_missing', { name: bot.name, bot: id, count: topics.length, topics: topics.join('、') })
      await this.d.rebalancer.tellOps(`ops-groups-missing-${id}-${at}`, text, true)
    }
    if (this.d.groups.unnamed && topics.length) {
      await this.d.rebalancer.tellOps(`ops-groups-unnamed-${id}-${at}`, app.t('ops_groups_unnamed', { name: bot.name, bot: id, count: this.d.groups.unnamed }), true)
    }
  }

  private async onGroup(e: GroupEvent): Promise<void> {
    const { app, bot, id, log } = this.acc
    const now = Date.now()
    if (e.kind === 'removed') {
      const topic = this.d.groups.markRemoved(e.roomId, e.by)
      log.warn('group.removed', { topic: topic ?? null, by: e.by, hint: 'this account was removed from the group: its posts go through another account in the group, or wait' })
      if (!topic) return
      this.toldMissing.add(topic)
      const moved = await this.d.rebalancer.failoverGroup(topic)
      await this.d.rebalancer.tellOps(`ops-group-removed-${id}-${now}`, app.t('ops_group_removed', { name: bot.name, bot: id, topic, by: e.by, moved }), true)
      return
    }
    if (e.kind === 'renamed') {
      const topic = this.d.groups.topicOf(e.roomId)
      if (!topic || topic === e.topic) return
      log.warn('group.renamed', {
        topic, newTopic: e.topic, by: e.by,
        hint: `config/network.yaml: node ${this.d.groups.configuredGroup(topic)?.node ?? '?'}, group topic "${topic}": WeChat now calls it "${e.topic}"; rename it back on the phone or set topic: "${e.topic}" there (posting goes on by id until the next QR login, which finds groups by topic)`,
      })
      await this.d.rebalancer.tellOps(`ops-group-renamed-${id}-${e.roomId}-${now}`, app.t('ops_group_renamed', { name: bot.name, bot: id, topic, new_topic: e.topic || '（空）', by: e.by }), true)
      return
    }
    if (e.kind === 'joined' && e.member === (bot.nickname || bot.name)) this.d.groups.unmarkRemoved(e.roomId)
  }
}
