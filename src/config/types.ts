/**
 * The shape of a loaded, validated Cascade configuration.
 *
 * On disk (all YAML, UTF-8):
 *   config/network.yaml   the tree of nodes: district → townships → villages
 *   config/people.yaml    everyone who holds a role, declared once
 *   config/templates.yaml every chat text the bots send (zh-CN), reworded by ops
 *   bots/<id>.yaml        one file per WeChat account
 *
 * Loading never returns a half-valid config: `loadConfig` either returns a `CascadeConfig`
 * or throws a `ConfigError` listing every problem (file, path inside it, what is allowed).
 */

import type { Policies } from './policies.ts'
import type { CasesConfig } from './cases.ts'
import type { HouseholdsConfig } from '../domain/households.ts'
import type { SeriesConfig } from './series.ts'
import type { ProvinceConfig } from './province.ts'

export type Level = 'district' | 'township' | 'village'
export const LEVELS: readonly Level[] = ['district', 'township', 'village']

export type GroupKind = 'public' | 'staff'

export interface GroupConfig {
  /** The group's name in WeChat. Groups are found by topic at every login, never by a stored id. */
  topic: string
  /** public: announcements are posted here; staff: the node's staff, who may also give commands here. */
  kind: GroupKind
}

export interface NodeConfig {
  /** Stable slug, e.g. `zhongzi` or `zhongzi-xicun`. */
  id: string
  name: string
  level: Level
  /** Absent only on the district (the root). */
  parent?: string
  groups: GroupConfig[]
  /** Person ids who approve what comes down to this node. Required below the district. */
  curators: string[]
  /** Person ids asked when the curators do not answer (used by timers). */
  backups: string[]
  /** Person ids who may publish from this node (usually only at the district). */
  publishers: string[]
}

export interface PersonConfig {
  id: string
  name: string
  /** What they do, shown in chat, e.g. "中子镇宣传委员". */
  title?: string
}

export type PuppetName = 'wechaty-puppet-mock' | 'wechaty-puppet-wechat4u'
export const PUPPETS: readonly PuppetName[] = ['wechaty-puppet-mock', 'wechaty-puppet-wechat4u']

export interface PacingConfig {
  /** Messages this account may send per minute (all groups and DMs together). */
  perMinute: number
  /** Random extra delay before each send, 0..jitterMs milliseconds. */
  jitterMs: number
  /** Messages this account may send per day; beyond it sends wait for the next day. */
  dailyBudget: number
  /** Of those, the most that chat may use (replies to strangers, case DMs, rumor answers); default 20 %. */
  chatBudget?: number
  /** Of chat, the most answers one contact gets a day (repeats, usage hints, rumor checks); default 5 % of chat, at least 3. */
  chatPerContact?: number
}

export interface BotConfig {
  id: string
  /** Display name of the account, for logs and ops. */
  name: string
  /**
   * The account's WeChat nickname as members of its groups see it (default: `name`). Web-WeChat
   * contact ids are per viewing account, so the other accounts in a shared group are recognised
   * by it and left out of member counts and handlers (docs/ARCHITECTURE.md, "Identity").
   */
  nickname: string
  puppet: PuppetName
  /** Where the login session is kept (Wechaty memory card name; a volume in Docker). */
  session: string
  /** Ids of the nodes whose groups this account sits in. */
  nodes: string[]
  pacing: PacingConfig
  /** The file it was loaded from. */
  file: string
}

export interface CascadeConfig {
  /** Directory network/people/templates were loaded from. */
  configDir: string
  botsDir: string
  rootId: string
  nodes: Map<string, NodeConfig>
  /** Children of each node id, in file order. */
  children: Map<string, string[]>
  people: Map<string, PersonConfig>
  categories: string[]
  templates: Record<string, string>
  bots: Map<string, BotConfig>
  /** Approval policies per severity and node (config/policies.yaml, optional). */
  policies: Policies
  /** The response mechanism for 举报/求助 (config/cases.yaml, optional: absent, the feature is off). */
  cases?: CasesConfig
  /** Rumor rebuttal in chat (src/features/rumors/); optional, every field has a default. */
  rumors?: RumorChatConfig
  /** Grids, grid workers and households of the villages (config/households.yaml, optional). */
  households?: HouseholdsConfig
  /** Recurring bulletins and the inbox's feeds (config/series.yaml, optional). */
  series?: SeriesConfig
  /** The province that hands notices down to this district (config/province.yaml, optional). */
  province?: ProvinceConfig
}

/** Settings of the rumor feature in chat. */
export interface RumorChatConfig {
  /** The library file; default `<configDir>/rumors.yaml`. */
  library?: string
  /** A rumor is answered at most once per group within this many seconds (default 6 h). */
  cooldownSeconds?: number
}
