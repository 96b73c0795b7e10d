/**
 * The composition root: one place that builds the app on Redis and installs its features.
 * Every process (`cascade run`, `serve`, one-shot commands, the demo, the tests) starts here.
 */
import type { Redis } from 'ioredis'
import type { CascadeConfig } from '../config/types.ts'
import { Outboxes } from '../queue/outbox.ts'
import { Timers } from '../queue/timers.ts'
import { Store } from '../store/store.ts'
import { Cascade } from '../spine/cascade.ts'
import { installCuration } from '../features/curation/curation.ts'
import { installCases } from '../features/cases/cases.ts'
import { installCoverage } from '../features/coverage/install.ts'
import { installRumors } from '../features/rumors/rumors.ts'
import { installSeries } from '../features/series/install.ts'
import { installInbox } from '../features/inbox/install.ts'
import { installProvince } from '../features/province/handoff.ts'
import { silentLogger, type Logger } from '../infra/log.ts'
import { installMetrics } from '../features/metrics/metrics.ts'
import { connectRedis, holdBullConnection, replicaAckFor } from '../infra/redis.ts'
import { watchRedis } from '../infra/redis-reach.ts'

export interface ComposeOptions {
  cfg: CascadeConfig
  redisUrl: string
  /** Key namespace: all keys live under `{ns}:` (default "cascade"). */
  ns?: string
  log?: Logger
  now?: () => number
  random?: () => number
  /** How often recovery runs and how old unfinished work must be (default 60 s / 60 s; the fault suite shortens them). */
  recovery?: { intervalMs?: number; graceMs?: number }
}

export interface Composed {
  app: Cascade
  redis: Redis
  /** Closes the queues and the Redis connection (not the bots). */
  close(): Promise<void>
}

/** A feature: installs its handlers, timers and listeners on the app. */
export type Feature = (app: Cascade) => void

/** Features installed in every process, in order. */
// Curation first: it completes the spine's commands (更正, 撤回, 待办, 分类) and its relays' timers.
// Coverage, series and the inbox before rumors: the rumor desk answers every DM, so `已通知`/`覆盖`,
// `暂停 S1`/`通报 …` and `待选`/`选用 I3` must come first.
export const FEATURES: Feature[] = [installCuration, installMetrics, installCases, installCoverage, installSeries, installInbox, installRumors, installProvince]

export function compose(opts: ComposeOptions): Composed {
  const log = opts.log ?? silentLogger
  const redis = connectRedis(opts.redisUrl)
  // Every composed process (serve, run, the demo, the simulated district) says a lost Redis once
  // in its log instead of ioredis printing each failed reconnect as an unhandled error.
  watchRedis(redis, opts.redisUrl, log)
  // With sentinels, the send claim, relay transitions and delivery records wait for a replica.
  let short = 0
  const store = new Store(redis, opts.ns ?? 'cascade', replicaAckFor(opts.redisUrl), (got, want) => {
    if (short++ % 100 === 0) log.warn('redis.replica-ack-short', { got, want, times: short, hint: 'a write was not confirmed by a replica in time: a failover now could lose it' })
  })
  const bull = holdBullConnection(opts.redisUrl)
  const connection = bull.connection
  const outboxes = new Outboxes(connection, store.keys.bullPrefix)
  const timers = new Timers(connection, store.keys.bullPrefix, log, opts.now)
  const app = new Cascade({ cfg: opts.cfg, store, outboxes, timers, log, now: opts.now, random: opts.random, recovery: opts.recovery })
  for (const install of FEATURES) install(app)
  return {
    app, redis,
    close: async () => {
      await timers.close()
      await outboxes.close()
      await bull.release()
      await redis.quit()
    },
  }
}
