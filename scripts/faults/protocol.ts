/**
 * Messages between scripts/faults/run.ts (the parent: starts the processes, injects faults, reads
 * the outcome from Redis and the posts logs) and its processes (scripts/faults/proc.ts).
 */
import type { PacingConfig } from '../../src/config/types.ts'
import type { WorldOptions } from '../../src/sim/world.ts'

export type Role = 'bots' | 'relay' | 'timers'

/** A fault the process inflicts on itself at an exact point (k counts from 1). */
export type FaultMsg =
  | { kind: 'kill-after-claim'; k: number }
  | { kind: 'kill-after-post'; k: number }
  | { kind: 'hang-say'; k: number; hangMs?: number }
  | { kind: 'post-then-fail'; k: number }
  | { kind: 'kill-at-enqueue'; k: number }
  | { kind: 'kill-after-delivery'; k: number }

/** Runtime options the suite shortens (BotRuntimeOptions). */
export interface RuntimeOptions { sendTimeoutMs?: number; settleAfterMs?: number; stopWaitMs?: number; heartbeatSeconds?: number }

export interface StartMsg {
  type: 'start'
  role: Role
  configDir: string
  botsDir: string
  templatesFile: string
  redisUrl: string
  ns: string
  /** bots role: the accounts, their pacing and runtime options, the world and the posts log. */
  bots?: string[]
  pacing?: Partial<PacingConfig>
  runtime?: RuntimeOptions
  world?: WorldOptions
  postsLog?: string
  /** bots role: the other bot processes' posts logs are read from this folder and their posts shown to this process's accounts. */
  mirrorDir?: string
  /** timers role: the recovery loop's interval and grace (the suite shortens them unless --defaults). */
  recovery?: { intervalMs: number; graceMs: number }
  fault?: FaultMsg
}
export interface PublishMsg { type: 'publish'; node: string; author: string; text: string }
export interface ApproveMsg { type: 'approve'; code: string; nodes: string[] }
export interface StopMsg { type: 'stop' }
export type ToProc = StartMsg | PublishMsg | ApproveMsg | StopMsg

export type FromProc =
  | { type: 'ready'; pid: number }
  | { type: 'code'; code: string }
  | { type: 'done'; code: string; ms: number }
  | { type: 'event'; what: string; at: number }
  | { type: 'stopped' }
  | { type: 'failed'; error: string }
