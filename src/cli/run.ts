/**
 * `cascade run bots/<id>.yaml`: one WeChat account in its own process.
 *
 * With `wechaty-puppet-wechat4u` it prints the login QR code in the terminal (keeps the latest
 * as a PNG next to the session, and in Redis for `cascade serve` at /api/bots/<id>/qrcode),
 * keeps the session under `session:` so a restart needs no new scan, and works its outbox
 * queue while logged in. With `wechaty-puppet-mock` it runs on a simulated WeChat built from
 * the config (for trying the process model without an account).
 *
 * With PORT set it also answers there GET /healthz (the Docker image's HEALTHCHECK), /readyz (Redis
 * answers) and /metrics (this process: its sends, refusals, back-offs, echo waits, its account's
 * login and outbox; `cascade_redis_up 0` while Redis cannot be reached).
 * CASCADE_MOCK_POSTS=<file> (mock puppet only): the account's group posts, one JSON line each.
 * SIGTERM / SIGINT: stop taking jobs, finish the send in flight, close everything, exit 0.
 * Redis unreachable at start: said once, tried again with back-off (1, 2, 4 … 30 s).
 */
import type { Server } from 'node:http'
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Puppet } from 'wechaty-puppet'
import { BotHealth } from '../infra/bot-health.ts'
import { compose, type Composed } from '../app/compose.ts'
import { createHealthApp } from '../web/api.ts'
import { createLogger, type Logger } from '../infra/log.ts'
import { bullConnection, redisUrlFromEnv } from '../infra/redis.ts'
import { probeRedis, waitForRedis } from '../infra/redis-reach.ts'
import { createScraper, ProcessMetrics } from '../infra/metrics-scrape.ts'
import { accountFigures } from '../chat/bot-metrics.ts'
import { BotRuntime } from '../chat/bot-runtime.ts'
import type { BotConfig, CascadeConfig } from '../config/types.ts'
import { closeComposed, closeServer, listen, untilSignal } from './shutdown.ts'
import { DEFAULT_HOST, portSetting } from '../web/http-guards.ts'

export async function runBot(cfg: CascadeConfig, bot: BotConfig, withTimers = false, env = process.env): Promise<number> {
  const log = createLogger({ bot: bot.id })
  const url = redisUrlFromEnv(env)
  let server: Server | undefined
  const port = portSetting(env.PORT)
  const proc = new ProcessMetrics({ role: 'bot', bot: bot.id })
  let metrics = () => proc.text() // until Redis answers: the process's own, cascade_redis_up 0
  const ready = async () => { const why = await probeRedis(url, 1_000); proc.setRedisUp(!why); return why }
  if (port !== undefined) server = await listen(createHealthApp({ metrics: () => metrics(), contentType: proc.contentType, ready }), port, env.HOST ?? DEFAULT_HOST)
  const aborted = new AbortController()
  let composed: Composed | undefined
  let runtime: BotRuntime | undefined
  const stopped = untilSignal(log, async () => {
    aborted.abort()
    await closeServer(server)
    await runtime?.stop()
    await closeComposed(composed, log)
  })
  // Redis unreachable: said once, tried again with back-off; a signal meanwhile stops at once.
  if (!await waitForRedis(url, log, aborted.signal)) return stopped

  composed = compose({ cfg, redisUrl: url, ns: env.CASCADE_NS, log })
  const { app } = composed
  if (withTimers) app.timers.start()
  await mkdir(path.dirname(path.resolve(bot.session)), { recursive: true })
  const health = new BotHealth(app.store)

  let rt: BotRuntime | undefined
  const { puppet, loginMock } = await createPuppet(cfg, bot, log, await messagesFloor(health, bot.id, log), () => rt?.noteRelogin(), env.CASCADE_MOCK_POSTS)
  rt = new BotRuntime({ app, bot, puppet, connection: bullConnection(url), log })
  const scraper = createScraper(app, { process: proc, district: false, own: () => accountFigures(rt!, proc.labels) })
  metrics = () => scraper.text()
  keepAliveOnClientFaults(health, bot.id, log)
  rt.wechaty.on('scan', (qrcode, status) => { void showQr(qrcode, status, bot, log) })
  if (aborted.signal.aborted) return stopped
  runtime = rt
  await rt.start()
  loginMock?.()
  log.info('bot.started', { puppet: bot.puppet, session: bot.session })
  return stopped
}

/** Messages older than this many hours are not replayed after a restart, however long it was down. */
const REPLAY_LIMIT_HOURS = 6

/**
 * From when messages are taken after a (re)start: the last time this account was seen at work,
 * so that a curator's answer sent while the process was down is not dropped.
 */
async function messagesFloor(health: BotHealth, bot: string, log: Logger): Promise<number | undefined> {
  const seen = (await health.read(bot)).seenAt
  if (seen === undefined) return undefined
  const limit = Date.now() - REPLAY_LIMIT_HOURS * 3600_000
  if (seen < limit) {
    // Said, not hidden: what people sent to this account in the gap will not be read.
    log.warn('messages.gap', { from: new Date(seen).toISOString(), to: new Date(limit).toISOString(), hint: `the account was down over ${REPLAY_LIMIT_HOURS} h: messages sent to it before the second time are not read; curators see pending notices with 待办` })
  }
  return Math.max(seen, limit)
}

/**
 * The WeChat client libraries reject promises nobody handles (a message without an id, a login
 * refused, …). Such a rejection must not end an account's process: it is logged and shown in
 * /readyz (`lastFault`). A thrown exception (a real crash) still ends it.
 */
function keepAliveOnClientFaults(health: BotHealth, bot: string, log: Logger): void {
  process.on('unhandledRejection', reason => {
    log.error('process.unhandled-rejection', { err: reason })
    const what = reason instanceof Error ? reason.message : String(reason)
    void health.recordFault(bot, Date.now(), what).catch(() => undefined)
  })
}

/** `postsFile` (CASCADE_MOCK_POSTS, mock puppet only): where the account's group posts are appended (src/sim/posts-log.ts). */
async function createPuppet(cfg: CascadeConfig, bot: BotConfig, log: Logger, since: number | undefined, onRelogin: () => void, postsFile?: string): Promise<{ puppet: Puppet; loginMock?: () => void }> {
  if (bot.puppet === 'wechaty-puppet-mock') {
    const { SimWorld } = await import('../sim/world.ts')
    const world = new SimWorld(cfg, { bots: [bot.id] }) // only this process's account
    if (postsFile) {
      const { postsLog } = await import('../sim/posts-log.ts')
      world.onMessage(postsLog(postsFile, bot.id).onMessage)
    }
    log.warn('bot.simulated', { hint: 'this account runs on the mock puppet: a simulated WeChat, no real groups' })
    return { puppet: world.puppet(bot.id), loginMock: () => world.login(bot.id) }
  }
  const { createWechat4uPuppet } = await import('../chat/wechat4u.ts')
  return { puppet: await createWechat4uPuppet({ log, messagesSince: () => since, onRelogin }) }
}

async function showQr(qrcode: string, status: number, bot: BotConfig, log: Logger): Promise<void> {
  const QR = await import('qrcode')
  const png = `${bot.session}.qrcode.png`
  try {
    await QR.toFile(png, qrcode)
  } catch (err) {
    log.warn('qrcode.png-failed', { err })
  }
  const text = await QR.toString(qrcode, { type: 'terminal', small: true })
  process.stdout.write(`\n请用值守号「${bot.name}」的微信扫码登录（状态 ${status}）：\n${text}\n二维码图片：${png}\n也可在 cascade serve 的 /api/bots/${bot.id}/qrcode 打开\n`)
  log.info('bot.scan', { status, png })
}
