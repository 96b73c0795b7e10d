/**
 * `cascade run bots/<id>.yaml`: one WeChat account in its own process.
 *
 * With `wechaty-puppet-wechat4u` it prints the login QR code in the terminal (and keeps the
 * latest as a PNG next to the session), keeps the session under `session:` so a restart needs
 * no new scan, and works its outbox queue while logged in. With `wechaty-puppet-mock` it runs
 * on a simulated WeChat built from the config (for trying the process model without an account).
 *
 * SIGTERM / SIGINT: stop taking jobs, finish the send in flight, close everything, exit 0.
 */
import { mkdir } from 'node:fs/promises'
import path from 'node:path'
import type { Puppet } from 'wechaty-puppet'
import { compose } from '../app/compose.ts'
import { createLogger, type Logger } from '../app/log.ts'
import { bullConnection, DEFAULT_REDIS_URL } from '../app/redis.ts'
import { BotRuntime } from '../chat/bot-runtime.ts'
import type { BotConfig, CascadeConfig } from '../config/types.ts'

/** How long a graceful stop may take before the process exits anyway. */
const STOP_DEADLINE_MS = 10_000

export async function runBot(cfg: CascadeConfig, bot: BotConfig, withTimers = false): Promise<number> {
  const log = createLogger({ bot: bot.id })
  const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL
  const composed = compose({ cfg, redisUrl: url, ns: process.env.CASCADE_NS, log })
  const { app } = composed
  if (withTimers) app.timers.start()
  await mkdir(path.dirname(path.resolve(bot.session)), { recursive: true })

  const { puppet, loginMock } = await createPuppet(cfg, bot, log)
  const rt = new BotRuntime({ app, bot, puppet, connection: bullConnection(url), log })
  rt.wechaty.on('scan', (qrcode, status) => { void showQr(qrcode, status, bot, log) })
  await rt.start()
  loginMock?.()
  log.info('bot.started', { puppet: bot.puppet, session: bot.session })

  return new Promise<number>(resolve => {
    let stopping = false
    const stop = async (signal: string) => {
      if (stopping) return
      stopping = true
      log.info('bot.stopping', { signal })
      const force = setTimeout(() => { log.error('bot.stop-timeout', { ms: STOP_DEADLINE_MS }); resolve(1) }, STOP_DEADLINE_MS)
      force.unref()
      try {
        await rt.stop()
        await composed.close()
        log.info('bot.stopped')
        resolve(0)
      } catch (err) {
        log.error('bot.stop-failed', { err })
        resolve(1)
      } finally {
        clearTimeout(force)
      }
    }
    process.once('SIGTERM', () => { void stop('SIGTERM') })
    process.once('SIGINT', () => { void stop('SIGINT') })
  })
}

async function createPuppet(cfg: CascadeConfig, bot: BotConfig, log: Logger): Promise<{ puppet: Puppet; loginMock?: () => void }> {
  if (bot.puppet === 'wechaty-puppet-mock') {
    const { SimWorld } = await import('../sim/world.ts')
    const world = new SimWorld(cfg)
    log.warn('bot.simulated', { hint: 'this account runs on the mock puppet: a simulated WeChat, no real groups' })
    return { puppet: world.puppet(bot.id), loginMock: () => world.login(bot.id) }
  }
  // wechat4u installs a global uncaughtException handler that swallows every crash: import it
  // only here, and take that handler away again so that a crash is a crash.
  const before = new Set(process.listeners('uncaughtException'))
  const { PuppetWechat4u } = await import('wechaty-puppet-wechat4u')
  const puppet = new PuppetWechat4u() as unknown as Puppet
  for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.off('uncaughtException', l)
  return { puppet }
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
  process.stdout.write(`\n请用值守号「${bot.name}」的微信扫码登录（状态 ${status}）：\n${text}\n二维码图片：${png}\n`)
  log.info('bot.scan', { status, png })
}
