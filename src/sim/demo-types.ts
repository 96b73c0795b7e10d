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
}
