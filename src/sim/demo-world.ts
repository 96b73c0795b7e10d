/**
 * What `cascade demo` needs of a simulated district, so that one demo runs on either world:
 * the mock puppet (`SimDistrict`, src/sim/district.ts) or the simulated web-WeChat server with
 * the real client library (`WebWxDistrict`, src/sim/webwx-district.ts, `cascade demo --webwx`).
 *
 * Contact ids are the world's own: `wxid_p_<person>` / `wxid_bot_<bot>` / `wxid_v_<n>` on the
 * mock, world keys (`<person>`, `<bot>`, `v<n>-<node>`) on the web-WeChat server; the demo
 * goes through `contactOf` / `personOf` / `isBot` and never reads them.
 */
import type { Cascade } from '../app/cascade.ts'
import type { Logger } from '../app/log.ts'
import type { BotConfig, CascadeConfig } from '../config/types.ts'
import { SimDistrict } from './district.ts'
import { personContactId, type WorldMessage, type WorldOptions } from './world.ts'

export type { WorldMessage } from './world.ts'

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

export type DemoWorldKind = 'mock' | 'webwx'

export interface DemoDistrictOptions {
  cfg: CascadeConfig
  redisUrl: string
  /** Seed of the villagers' names and the groups' sizes (the same layout on both worlds). */
  world: WorldOptions
  pacing: Partial<BotConfig['pacing']>
  log: Logger
}

/** Starts the demo district on the mock puppet or on the simulated web-WeChat server. */
export async function startDemoDistrict(kind: DemoWorldKind, opts: DemoDistrictOptions): Promise<DemoDistrict> {
  if (kind === 'webwx') {
    // Loaded only here: the real client library (and its server) stay out of mock runs.
    const { WebWxDistrict } = await import('./webwx-district.ts')
    // Wechaty and the puppet log to stderr on their own (e.g. "Contact alias(…) sync with server
    // fail" per person bound, as web WeChat keeps no remarks): quiet, as the demo's own log is,
    // unless asked for.
    if (!process.env.LOG_LEVEL && !process.env.WECHATY_LOG) (await import('wechaty')).log.level('silent')
    return WebWxDistrict.start({
      cfg: opts.cfg, redisUrl: opts.redisUrl, world: opts.world, pacing: opts.pacing, log: opts.log,
    })
  }
  return mockDemoDistrict(await SimDistrict.start({ cfg: opts.cfg, redisUrl: opts.redisUrl, world: opts.world, pacing: opts.pacing, log: opts.log }))
}

/** The mock district as the demo sees it (its world already has the demo's shape). */
export function mockDemoDistrict(d: SimDistrict): DemoDistrict {
  return {
    app: d.app,
    world: d.world,
    contactOf: personContactId,
    personOf: id => id.startsWith('wxid_p_') ? id.slice('wxid_p_'.length) : undefined,
    isBot: id => id.startsWith('wxid_bot_'),
    homeBot: person => d.homeBot(person),
    bindEveryone: () => d.bindEveryone(),
    idle: () => d.idle(),
    close: () => d.close(),
  }
}
