/**
 * The real `cascade run` process under SIGTERM, with the production puppet (wechaty-puppet-wechat4u
 * and wechat4u as installed) talking to the simulated web-WeChat server of this test.
 *
 * The bot process is started as ops would start it, plus one import that redirects wechat4u's
 * HTTP to the server (CASCADE_WEBWX_URL):
 *
 *   node --import tsx --import ./src/sim/webwx/register.ts bin/cascade.mjs run <bots>/bot-zhongzi.yaml --config <config>
 *
 * (`--import tsx` is needed for Node to load register.ts at all; bin/cascade.mjs registers tsx's
 * loader once more for itself, which does no harm.)
 *
 * It logs in by a scan, a notice fans out to its 7 public groups at 20 posts a minute, SIGTERM
 * comes after the first post: the process exits 0 without logging out of WeChat; started again
 * it resumes the stored session without a QR code (same self id) and every group ends up with the
 * notice exactly once.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { compose, type Composed } from '../../src/app/compose.ts'
import { silentLogger } from '../../src/infra/log.ts'
import { loadConfig } from '../../src/config/load.ts'
import type { CascadeConfig } from '../../src/config/types.ts'
import { WebWxServer } from '../../src/sim/webwx/server.ts'
import { REDIS_URL, ROOT, waitFor } from '../helpers.ts'

const BOT = 'bot-zhongzi'
/** 中子镇 and its villages: 7 public groups (and 5 staff groups). */
const NODES = ['zhongzi', 'zhongzi-xicun', 'zhongzi-dongba', 'zhongzi-shuikou', 'zhongzi-xinjie']
const NOTICE = '明天上午9点全镇防汛演练，请各村做好准备，听到警报后按路线撤离。'

/** Every node takes notices unreviewed: a notice fans out to every public group by itself. */
const UNREVIEWED = `defaults:
${['urgent', 'normal', 'info'].map(s => `  ${s}: { remindAfter: 3, escalateAfter: 6, autoForwardAfter: 0, expiresAfterHours: 72 }`).join('\n')}
`

interface BotProcess {
  child: ChildProcess
  /** Parsed JSON log lines (pino, stderr). */
  events: Record<string, any>[]
  /** Everything else it wrote, for the failure message. */
  output: string[]
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const cleanups: (() => Promise<unknown> | unknown)[] = []
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try { await c() } catch { /* best effort */ }
  }
})

/** Copies the demo config to a temp dir (unreviewed policies) and writes the bot files. */
async function writeConfig(dir: string): Promise<{ configDir: string; botsDir: string; botFile: string; session: string }> {
  const configDir = path.join(dir, 'config')
  const botsDir = path.join(dir, 'bots')
  await mkdir(configDir, { recursive: true })
  await mkdir(botsDir, { recursive: true })
  for (const f of await readdir(path.join(ROOT, 'config'))) {
    if (f.endsWith('.yaml')) await copyFile(path.join(ROOT, 'config', f), path.join(configDir, f))
  }
  await writeFile(path.join(configDir, 'policies.yaml'), UNREVIEWED)
  // Every node with groups must be served by some account: the other nodes go to a mock-puppet
  // account that is never started (validation only; it shares no node with ours, so nothing
  // moves between the two).
  const demo = await loadConfig({ configDir: path.join(ROOT, 'config'), botsDir: path.join(ROOT, 'bots') })
  const others = [...demo.nodes.values()].filter(n => n.groups.length > 0 && !NODES.includes(n.id)).map(n => n.id)
  const session = path.join(dir, 'sessions', BOT)
  const botFile = path.join(botsDir, `${BOT}.yaml`)
  await writeFile(botFile, [
    `id: ${BOT}`,
    'name: 中子镇信息发布号',
    'puppet: wechaty-puppet-wechat4u',
    `session: ${JSON.stringify(session)}`,
    `nodes: [${NODES.join(', ')}]`,
    'pacing: { perMinute: 20, jitterMs: 0, dailyBudget: 5000 }',
    '',
  ].join('\n'))
  await writeFile(path.join(botsDir, 'bot-rest.yaml'), [
    'id: bot-rest',
    'name: 其余节点值守号',
    'puppet: wechaty-puppet-mock',
    `session: ${JSON.stringify(path.join(dir, 'sessions', 'bot-rest'))}`,
    `nodes: [${others.join(', ')}]`,
    'pacing: { perMinute: 20, jitterMs: 0, dailyBudget: 5000 }',
    '',
  ].join('\n'))
  return { configDir, botsDir, botFile, session }
}

/** The account, the people, two villagers per public group, the groups of the bot's nodes by topic. */
function buildWorld(server: WebWxServer, cfg: CascadeConfig): void {
  server.addAccount({ key: BOT, nickname: cfg.bots.get(BOT)!.nickname })
  for (const p of cfg.people.values()) server.addUser({ key: p.id, nickname: p.name })
  let n = 0
  for (const id of NODES) {
    const node = cfg.nodes.get(id)!
    const staff = [...new Set([...node.curators, ...node.backups, ...node.publishers])]
    for (const g of node.groups) {
      const villagers: string[] = []
      if (g.kind === 'public') {
        for (let i = 0; i < 2; i++, n++) {
          server.addUser({ key: `v${n}-${id}`, nickname: `村民${n}` })
          villagers.push(`v${n}-${id}`)
        }
      }
      server.addGroup({ key: g.topic, topic: g.topic, members: [BOT, ...staff, ...villagers] })
    }
    for (const person of staff) server.befriend(BOT, person)
  }
}

function startBot(botFile: string, configDir: string, env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath,
    ['--import', 'tsx', '--import', './src/sim/webwx/register.ts', 'bin/cascade.mjs', 'run', botFile, '--config', configDir],
    { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const p: BotProcess = {
    child, events: [], output: [],
    exited: new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal }))),
  }
  let buf = ''
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString()
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      try { p.events.push(JSON.parse(line)) } catch { p.output.push(line) }
    }
  })
  child.stdout!.on('data', () => undefined) // the QR code for the terminal
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await p.exited
    }
  })
  return p
}

/** The event names a bot process logged, for failure messages. */
function trail(p: BotProcess): string {
  return [...p.events.map(e => `${e.level} ${e.event}${e.err ? ` ${JSON.stringify(e.err).slice(0, 300)}` : ''}`), ...p.output.slice(-20)].join('\n')
}

describe('cascade run with the real WeChat client under SIGTERM', () => {
  it('SIGTERM mid fan-out: exit 0, no logout; the restart resumes without a QR code, same ids; every group has the post once', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cascade-sigterm-'))
    cleanups.push(() => rm(dir, { recursive: true, force: true }))
    const { configDir, botsDir, botFile } = await writeConfig(dir)
    // What `cascade validate` checks: the files load as one valid config.
    const cfg = await loadConfig({ configDir, botsDir })
    expect(cfg.bots.get(BOT)?.puppet).toBe('wechaty-puppet-wechat4u')

    const server = await WebWxServer.start()
    cleanups.push(() => server.stop())
    buildWorld(server, cfg)
    const topics = NODES.flatMap(id => cfg.nodes.get(id)!.groups.filter(g => g.kind === 'public').map(g => g.topic))
    expect(topics).toHaveLength(7)

    const ns = `test-sigterm-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
    const composed: Composed = compose({ cfg, redisUrl: REDIS_URL, ns, log: silentLogger })
    cleanups.push(async () => { await composed.app.store.clearNamespace(); await composed.close() })
    const { app } = composed
    const env = { CASCADE_WEBWX_URL: server.url, REDIS_URL, CASCADE_NS: ns, LOG_LEVEL: 'info', WECHATY_LOG: 'silent' }
    const loggedIn = (p: BotProcess) => p.events.some(e => e.event === 'bot.login')
    const alive = async () => (await app.store.aliveBots([BOT])).has(BOT)

    // ── first process: QR login by a scan ──
    const first = startBot(botFile, configDir, env)
    const qr = await waitFor('the QR code', () => server.pendingLogins()[0], 30_000).catch(err => { throw new Error(`${err.message}\n${trail(first)}`) })
    server.scan(qr.uuid, BOT)
    await waitFor('the first process logged in and at work', async () => server.isLoggedIn(BOT) && loggedIn(first) && await alive(), 30_000)
      .catch(err => { throw new Error(`${err.message}\n${trail(first)}`) })
    const self = server.sessionOf(BOT)!
    const jslogins = server.stats().requests.jslogin

    // ── a notice fans out; SIGTERM after the first post ──
    const a = await app.publish({ node: 'chaotian', author: 'zhao-min', text: NOTICE })
    const posted = () => topics.filter(t => server.messagesIn(t).some(m => m.from === BOT && m.text.includes(a.code))).length
    await waitFor('the first post', () => posted() >= 1, 20_000).catch(err => { throw new Error(`${err.message}\n${trail(first)}`) })
    expect(posted()).toBeLessThan(topics.length)
    expect(await app.outboxes.backlog(BOT)).toBeGreaterThan(0)
    const termAt = Date.now()
    first.child.kill('SIGTERM')
    const exit = await first.exited
    const stopMs = Date.now() - termAt
    expect(exit, trail(first)).toEqual({ code: 0, signal: null })
    expect(first.events.some(e => e.event === 'process.stopped')).toBe(true)
    expect(first.events.some(e => e.event === 'wechat4u.session-kept')).toBe(true)
    // No logout on WeChat's side: the session lives on.
    expect(server.stats().requests.webwxlogout ?? 0).toBe(0)
    expect(server.isLoggedIn(BOT)).toBe(true)
    expect(server.sessionOf(BOT)).toMatchObject({ alive: true, generation: self.generation })
    const postedAtStop = posted()
    expect(postedAtStop).toBeLessThan(topics.length)

    // ── second process: resumes the stored session by itself ──
    const restartAt = Date.now()
    const second = startBot(botFile, configDir, env)
    await waitFor('the second process logged in and at work', async () => loggedIn(second) && await alive(), 30_000)
      .catch(err => { throw new Error(`${err.message}\n${trail(second)}`) })
    expect(server.stats().requests.jslogin).toBe(jslogins) // no new QR code was asked for
    expect(server.pendingLogins()).toEqual([])
    expect(second.events.some(e => e.event === 'bot.scan')).toBe(false)
    expect(server.sessionOf(BOT)).toMatchObject({ alive: true, generation: self.generation, userName: self.userName })
    const resumeMs = Date.now() - restartAt

    // ── the rest of the fan-out: every public group has the notice exactly once ──
    await waitFor('the notice in every group', () => posted() === topics.length, 40_000)
      .catch(err => { throw new Error(`${err.message} (${posted()}/${topics.length})\n${trail(second)}`) })
    await waitFor('the outbox drained', async () => await app.outboxes.backlog(BOT) === 0, 10_000)
    await new Promise(r => setTimeout(r, 1000)) // nothing more comes
    for (const t of topics) {
      expect(server.messagesIn(t).filter(m => m.from === BOT && m.text.includes(a.code)), t).toHaveLength(1)
    }

    second.child.kill('SIGTERM')
    expect(await second.exited, trail(second)).toEqual({ code: 0, signal: null })
    expect(server.stats().requests.webwxlogout ?? 0).toBe(0)
    if (process.env.SIGTERM_TEST_LOG) {
      console.info(JSON.stringify({ postedAtStop, groups: topics.length, stopMs, resumeMs, requests: server.stats().requests }))
    }
  }, 90_000)
})
