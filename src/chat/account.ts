/**
 * What the parts of one account's runtime share: the app, the account's config, its Wechaty,
 * its log and health record, and whether it is logged in. `BotRuntime` makes one and hands it to
 * each part (groups, identity, inbound, outbox worker, rebalancing).
 */
import type { WechatyInterface } from 'wechaty/impls'
import type { BotHealth } from '../infra/bot-health.ts'
import type { Cascade } from '../spine/cascade.ts'
import type { Logger } from '../infra/log.ts'
import type { BotConfig } from '../config/types.ts'
import { hasLoadedContacts, type LoadedContacts } from './wechat4u.ts'

export interface Account {
  readonly id: string
  readonly bot: BotConfig
  readonly app: Cascade
  readonly wechaty: WechatyInterface
  readonly log: Logger
  readonly health: BotHealth
  isLoggedIn(): boolean
  isStopping(): boolean
}

/** The loaded contact list of the account's puppet, when the puppet offers one (wechat4u). */
export function loadedContacts(acc: Account): LoadedContacts | undefined {
  const puppet = acc.wechaty.puppet
  return hasLoadedContacts(puppet) ? puppet : undefined
}

export function sleep(ms: number): Promise<void> { return new Promise(r => setTimeout(r, ms)) }

/** The district ops group (the district's first staff group), if configured. */
export function opsTopic(app: Cascade): string | undefined {
  return app.cfg.nodes.get(app.cfg.rootId)?.groups.find(g => g.kind === 'staff')?.topic
}
