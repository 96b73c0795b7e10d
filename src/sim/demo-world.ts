/**
 * What `cascade demo` needs of a simulated district, so that one demo runs on either world:
 * the mock puppet (`SimDistrict`, src/sim/district.ts) or the simulated web-WeChat server with
 * the real client library (`WebWxDistrict`, src/sim/webwx-district.ts, `cascade demo --webwx`).
 *
 * Contact ids are the world's own: `wxid_p_<person>` / `wxid_bot_<bot>` / `wxid_v_<n>` on the
 * mock, world keys (`<person>`, `<bot>`, `v<n>-<node>`) on the web-WeChat server; the demo
 * goes through `contactOf` / `personOf` / `isBot` and never reads them.
 */
import type { Cascade } from '../spine/cascade.ts'
import type { Logger } from '../infra/log.ts'
import type { BotConfig, CascadeConfig } from '../config/types.ts'
import type { BotRuntimeOptions } from '../chat/bot-runtime.ts'
import type { ClientTiming } from '../chat/wechat4u-client.ts'
import { SimDistrict } from './district.ts'
import { personContactId, type WorldMessage, type WorldOptions } from './world.ts'

export type { WorldMessage } from './world.ts'
import type { DemoDistrict } from './demo-types.ts'
export type { DemoDistrict, DemoWorld } from './demo-types.ts'

export type DemoWorldKind = 'mock' | 'webwx'

export interface DemoDistrictOptions {
  cfg: CascadeConfig
  redisUrl: string
  /** Key namespace of the run (removed again by `close()`). */
  ns?: string
  /** Seed of the villagers' names and the groups' sizes (the same layout on both worlds). */
  world: WorldOptions
  pacing: Partial<BotConfig['pacing']>
  log: Logger
  /** Runtime options of every account (web-WeChat world: --chaos shortens the send and settle waits). */
  runtime?: Partial<BotRuntimeOptions>
  /** The real client's recovery waits (web-WeChat world: --chaos shortens them with the pace). */
  clientTiming?: Partial<ClientTiming>
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
      cfg: opts.cfg, redisUrl: opts.redisUrl, ns: opts.ns, world: opts.world, pacing: opts.pacing, log: opts.log, runtime: opts.runtime,
      clientTiming: opts.clientTiming,
    })
  }
  return mockDemoDistrict(await SimDistrict.start({ cfg: opts.cfg, redisUrl: opts.redisUrl, ns: opts.ns, world: opts.world, pacing: opts.pacing, log: opts.log }))
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
