/**
 * What `cascade demo` needs of a simulated district (types only, so that both districts can
 * implement them without importing the code that picks one: src/sim/demo-world.ts).
 */
import type { Cascade } from '../spine/cascade.ts'
import type { WorldMessage } from './world.ts'

/** The simulated people and groups, as the demo drives and reads them. */
export interface DemoWorld {
  /** Every group, by topic. */
  readonly groups: ReadonlyMap<string, { topic: string }>
  /** Every message said anywhere (people's and accounts'), in order. */
  readonly transcript: readonly WorldMessage[]
  /** Contact id → display name (villagers: their group nickname). */
  readonly names: ReadonlyMap<string, string>
  /** Called for every message said anywhere, in order; returns an unsubscribe. */
  onMessage(fn: (m: WorldMessage) => void): () => void
  /** A person (contact id) writes to a bot account in a DM. */
  sayToBot(contactId: string, bot: string, text: string): void
  /** A person says something in a group. */
  sayInGroup(contactId: string, topic: string, text: string): void
  /** Contact ids of the villagers (residents) of a group. */
  villagersOf(topic: string): string[]
  /** Bot posts in a group that contain a text (e.g. an announcement code). */
  postsIn(topic: string, containing: string): WorldMessage[]
  /** DMs a contact received from any bot account. */
  dmsTo(contactId: string): WorldMessage[]
}

/** A whole simulated district: the app, its accounts logged in, and the world they are in. */
export interface DemoDistrict {
  readonly app: Cascade
  readonly world: DemoWorld
  /** The contact id under which the world knows a person of config/people.yaml. */
  contactOf(person: string): string
  /** The person of config/people.yaml behind a contact id; undefined for villagers and accounts. */
  personOf(contactId: string): string | undefined
  /** Whether a contact id is one of the bot accounts. */
  isBot(contactId: string): boolean
  /** The account a person with a role talks to (undefined when no account serves them). */
  homeBot(person: string): string | undefined
  /** Every person with a role redeems an invite with their home account. */
  bindEveryone(): Promise<void>
  /** Resolves once every outbox is empty for a moment. */
  idle(): Promise<void>
  /** Stops every account and removes the run's keys. */
  close(): Promise<void>
  /** Random server faults from now on (web-WeChat world only; rate 0: off). */
  chaos?(o: { rate: number; seed: number }): void
  /** Faults injected so far and sessions ended by a kick or logout (web-WeChat world only). */
  faultFigures?(): { faults_injected: Record<string, number>; logouts: number }
}

export interface DemoSummary {
  code: string
  groups_total: number
  groups_delivered: number
  groups_confirmed: number
  groups_failed: number
  /** Posts of the notice beyond one per group, not counting those marked 【补发】 (a resend of unknown outcome). */
  duplicate_posts: number
  /** Posts in groups marked 【补发】. */
  resent_posts: number
  /** --chaos: faults the server injected, per `endpoint:kind` (web-WeChat world). */
  faults_injected?: Record<string, number>
  /** Server sessions that ended by a kick or a logout during the run (web-WeChat world). */
  logouts?: number
  members_total: number
  acks: number
  non_ack_chat: number
  relays: Record<string, number>
  publish_to_last_group_ms: number | null
  publish_to_last_village_group_ms: number | null
  /** How long relays waited for their curator, per tier (ms; simulated curators answer in 0.3–1.8 s). */
  approval_wait_ms: Record<string, { n: number; p50: number; p95: number }>
  households_total: number
  households_acked: number
  /** Households a grid worker reached by phone or visit after the deadline DM (已通知). */
  households_notified: number
  /** Deadline DMs to grid workers listing the households not yet reached. */
  grid_followups: number
  rumor_replies: number
  cases_opened: number
  cases_closed: number
  elapsed_ms: number
  redis: string
}
