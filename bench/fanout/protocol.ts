/**
 * Messages between bench/fanout-bench.ts (the parent: publishes, reads the figures from Redis)
 * and its bot processes (bench/fanout/bot-process.ts: a SimDistrict holding some of the accounts;
 * in the multi-district province, one whole district that also publishes).
 */
import type { PacingConfig } from '../../src/config/types.ts'
import type { WorldOptions } from '../../src/sim/world.ts'

export interface StartMsg {
  type: 'start'
  configDir: string
  botsDir: string
  templatesFile: string
  redisUrl: string
  ns: string
  bots: string[]
  pacing: Partial<PacingConfig>
  world: WorldOptions
  /** Run the namespace's timers worker here (a district of the multi-district province: its only process). */
  timers?: boolean
}
/** Posts `text` to each topic through the room its account found at login: `for … await room.say()`. */
export interface BaselineMsg { type: 'baseline'; posts: { bot: string; topic: string }[]; text: string }
/** Asks for the posts seen in this process's world whose text contains `code`. */
export interface StatsMsg { type: 'stats'; code: string }
export interface StopMsg { type: 'stop' }
/** Publishes a notice from `node` at the moment `at` (epoch ms), in this process: its district's own publisher. */
export interface PublishMsg { type: 'publish'; at: number; node: string; author: string; text: string }
export type ToBotProcess = StartMsg | BaselineMsg | StatsMsg | StopMsg | PublishMsg

export interface Memory { rss: number; peakRss: number; heapUsed: number }
export interface ReadyMsg extends Memory { type: 'ready'; worldMs: number; loginMs: number; accounts: number; rooms: number; contacts: number; missingGroups: number
  /** Members of all public groups (staff and bots not counted), and the distinct villagers among them: the same in every process. */
  memberships: number; distinctMembers: number
  /** The two halves of a login, timed again on this process's first account after all logged in. */
  resolveRoomsMs: number; resolvePeopleMs: number }
export interface BaselineDoneMsg extends Memory { type: 'baseline-done'; n: number; loopMs: number; echoedMs: number; echoed: number }
export interface StatsDoneMsg extends Memory { type: 'stats-done'; posts: Record<string, number>; postsByBot: Record<string, number>
  /** CPU time (user + system) this process used since its publish() began (ms; absent without a publish). */
  cpuSincePublishMs?: number }
export interface StoppedMsg { type: 'stopped' }
/** `t0`: when publish() was called; `publishCallMs`: how long it took (the whole tree planned and queued). */
export interface PublishedMsg { type: 'published'; code: string; t0: number; publishCallMs: number
  /** CPU time (user + system) the process used during publish(): against publishCallMs, how long it waited (CPU, Redis). */
  publishCpuMs: number }
export interface FailedMsg { type: 'failed'; error: string }
export type FromBotProcess = ReadyMsg | BaselineDoneMsg | StatsDoneMsg | StoppedMsg | PublishedMsg | FailedMsg
