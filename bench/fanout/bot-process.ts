/**
 * One bot process of bench/fanout-bench.ts: a SimDistrict running only the accounts it is given
 * (its own mock WeChat, BotRuntimes and outbox workers) on the shared namespace — or, in the
 * multi-district province, one whole district that publishes its own notice and runs its timers. Driven over IPC
 * (see protocol.ts); prints nothing to stdout. Samples its RSS every 200 ms.
 */
import { silentLogger } from '../../src/infra/log.ts'
import { loadConfig } from '../../src/config/load.ts'
import { SimDistrict } from '../../src/sim/district.ts'
import { botContactId } from '../../src/sim/world.ts'
import type { FromBotProcess, Memory, ToBotProcess } from './protocol.ts'

let district: SimDistrict | undefined
/** process.cpuUsage() when publish() began (in a process that publishes). */
let cpuAtPublish: NodeJS.CpuUsage | undefined
const cpuMs = (since: NodeJS.CpuUsage) => { const u = process.cpuUsage(since); return (u.user + u.system) / 1000 }
let peakRss = 0
const sample = () => { peakRss = Math.max(peakRss, process.memoryUsage().rss) }
setInterval(sample, 200).unref()

function memory(): Memory {
  sample()
  const m = process.memoryUsage()
  return { rss: m.rss, peakRss, heapUsed: m.heapUsed }
}

function send(msg: FromBotProcess): void { process.send!(msg) }

async function handle(msg: ToBotProcess): Promise<void> {
  switch (msg.type) {
    case 'start': {
      const cfg = await loadConfig({ configDir: msg.configDir, botsDir: msg.botsDir, templatesFile: msg.templatesFile })
      district = await SimDistrict.start({ cfg, redisUrl: msg.redisUrl, ns: msg.ns, bots: msg.bots, pacing: msg.pacing, world: msg.world, timers: msg.timers ?? false, log: silentLogger })
      const world = district.world
      let rooms = 0
      let contacts = 0
      for (const m of world.mockers.values()) { rooms += m.cacheRoomPayload.size; contacts += m.cacheContactPayload.size }
      const villagers = [...world.groups.values()].filter(g => g.kind === 'public').map(g => g.members.filter(m => m.startsWith('wxid_v_')))
      const memberships = villagers.reduce((n, m) => n + m.length, 0)
      const distinctMembers = new Set(villagers.flat()).size
      // What a login costs, in its two halves (BotRuntime.onLogin runs both, one account at a time).
      const first = district.runtimes.values().next().value!
      let t = Date.now()
      await first.resolveRooms()
      const resolveRoomsMs = Date.now() - t
      t = Date.now()
      await first.resolvePeople()
      const resolvePeopleMs = Date.now() - t
      const missingGroups = [...district.runtimes.values()].reduce((n, rt) => n + rt.missingGroups.length, 0)
      send({ type: 'ready', worldMs: district.startup.worldMs, loginMs: district.startup.loginMs, accounts: msg.bots.length, rooms, contacts, missingGroups, memberships, distinctMembers, resolveRoomsMs, resolvePeopleMs, ...memory() })
      return
    }
    case 'baseline': {
      const d = district!
      const rooms = msg.posts.map(p => {
        const room = d.runtimes.get(p.bot)?.room(p.topic)
        if (!room) throw new Error(`${p.bot} has no room "${p.topic}"`)
        return { room, topic: p.topic, from: botContactId(p.bot) }
      })
      const expected = new Set(rooms.map(r => `${r.from}\n${r.topic}`))
      let echoed = 0
      let lastEcho = 0
      let done: () => void = () => undefined
      const allEchoed = new Promise<void>(resolve => { done = resolve })
      const off = d.world.onMessage(m => {
        if (m.text !== msg.text || !m.room || !expected.delete(`${m.from}\n${m.room}`)) return
        echoed++
        lastEcho = Date.now()
        if (expected.size === 0) done()
      })
      const t0 = Date.now()
      // What Wechaty room connectors do (without their sleeps): one room after the other.
      for (const { room } of rooms) await room.say(msg.text)
      const loopMs = Date.now() - t0
      await Promise.race([allEchoed, new Promise(r => setTimeout(r, 30_000))])
      off()
      send({ type: 'baseline-done', n: rooms.length, loopMs, echoed, echoedMs: echoed ? lastEcho - t0 : NaN, ...memory() })
      return
    }
    case 'stats': {
      const posts: Record<string, number> = {}
      const postsByBot: Record<string, number> = {}
      for (const m of district!.world.transcript) {
        if (!m.room || !m.from.startsWith('wxid_bot_') || !m.text.includes(msg.code)) continue
        posts[m.room] = (posts[m.room] ?? 0) + 1
        const bot = m.from.slice('wxid_bot_'.length)
        postsByBot[bot] = (postsByBot[bot] ?? 0) + 1
      }
      send({ type: 'stats-done', posts, postsByBot, ...(cpuAtPublish ? { cpuSincePublishMs: cpuMs(cpuAtPublish) } : {}), ...memory() })
      return
    }
    case 'publish': {
      const app = district!.app
      await new Promise(r => setTimeout(r, Math.max(0, msg.at - Date.now())))
      const t0 = Date.now()
      cpuAtPublish = process.cpuUsage()
      const a = await app.publish({ node: msg.node, author: msg.author, text: msg.text, severity: 'urgent' })
      send({ type: 'published', code: a.code, t0, publishCallMs: Date.now() - t0, publishCpuMs: cpuMs(cpuAtPublish) })
      return
    }
    case 'stop': {
      await district?.close({ keepKeys: true }) // the parent clears the shared namespace
      send({ type: 'stopped' })
      setTimeout(() => process.exit(0), 50)
      return
    }
  }
}

process.on('message', (msg: ToBotProcess) => {
  handle(msg).catch(err => {
    send({ type: 'failed', error: err instanceof Error ? err.stack ?? err.message : String(err) })
    setTimeout(() => process.exit(1), 50)
  })
})
// The parent went away: nothing left to do here.
process.on('disconnect', () => process.exit(0))
