/**
 * What a simulated district offers the demo and the scenario tests, whichever WeChat it runs on:
 * the mock puppet's world (SimWorld, src/sim/world.ts) or the simulated web-WeChat server
 * (WebWxDistrict, src/sim/webwx-district.ts). Keys are world keys: a person's, a villager's or
 * an account's id in that world.
 */
import type { Cascade } from '../app/cascade.ts'
import type { CascadeConfig } from '../config/types.ts'
import type { Store } from '../store/store.ts'
import type { WorldMessage } from './world.ts'

/** Everything said in the simulated WeChat, as one feed, and a way for people to speak. */
export interface DemoWorld {
  /** Every group, by key (= topic). */
  readonly groups: ReadonlyMap<string, { topic: string }>
  /** Everything said so far, in order. */
  readonly transcript: readonly WorldMessage[]
  /** Key → nickname. */
  readonly names: ReadonlyMap<string, string>
  /** Calls `fn` for each message said from now on; returns the unsubscribe. */
  onMessage(fn: (m: WorldMessage) => void): () => void
  sayToBot(person: string, bot: string, text: string): void
  sayInGroup(person: string, topic: string, text: string): void
  /** The accounts' posts in a group containing a text. */
  postsIn(topic: string, containing: string): WorldMessage[]
  /** The DMs a key received from the accounts. */
  dmsTo(key: string): WorldMessage[]
  villagersOf(topic: string): string[]
}

/** A running district: the app, its accounts, and the world they live in. */
export interface DemoDistrict {
  readonly cfg: CascadeConfig
  readonly app: Cascade
  readonly store: Store
  readonly world: DemoWorld
  readonly bots: string[]
  bindEveryone(timeoutMs?: number): Promise<void>
  stopBot(bot: string): Promise<void>
  idle(timeoutMs?: number, quietMs?: number): Promise<void>
  close(opts?: { keepKeys?: boolean }): Promise<void>
}
