/**
 * Through which channel a person acted (chat, the web command centre, the CLI, the API), carried
 * along a call by AsyncLocalStorage so that every audit entry written on its way — a decision, a
 * correction, a retraction, a classification — records it (`via`) without each use-case passing
 * it on. The entry points set it (`withChannel`); the audit reads it (`withVia`).
 */
import { AsyncLocalStorage } from 'node:async_hooks'

export type Channel = 'chat' | 'web' | 'cli' | 'api'
export const CHANNELS: readonly Channel[] = ['chat', 'web', 'cli', 'api']

const current = new AsyncLocalStorage<Channel>()

/** Runs `fn` with every audit entry it writes marked as done through `channel`. */
export function withChannel<T>(channel: Channel, fn: () => Promise<T>): Promise<T> { return current.run(channel, fn) }

export function currentChannel(): Channel | undefined { return current.getStore() }

/**
 * The ops actor ids each belong to one channel (src/spine/directory.ts, src/web/shared.ts); a
 * policy (the actor `policy`) acts through none.
 */
const ACTOR_CHANNEL: Record<string, Channel> = { 'ops-cli': 'cli', 'ops-web': 'web', 'ops-api': 'api' }

/** Kinds whose actor is whom it happened to, not who acted (a curator found unreachable, a binding displaced). */
const SUBJECT_KINDS = new Set(['curator-unreachable', 'unreachable', 'unbind', 'code-revoked'])

/** An audit event with its channel: given, else the current call's, else the ops actor's own. */
export function withVia<E extends { kind?: string; actor?: string; via?: string | number }>(e: E): E {
  if (e.via !== undefined || !e.actor || e.actor === 'policy' || SUBJECT_KINDS.has(e.kind ?? '')) return e
  const via = currentChannel() ?? ACTOR_CHANNEL[e.actor]
  return via ? { ...e, via } : e
}
