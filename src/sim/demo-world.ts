/**
 * What the demo needs of a district and its world, whichever WeChat it runs on: the mock
 * puppet's (district.ts, world.ts) or the simulated web-WeChat server's (webwx-district.ts).
 *
 * webwx-district.ts was committed importing this file while the file itself was not; this is
 * the shape that file implements, so that the tree type-checks.
 */
import type { Cascade } from '../app/cascade.ts'
import type { CascadeConfig } from '../config/types.ts'
import type { Outboxes } from '../queue/outbox.ts'
import type { Store } from '../store/store.ts'
import type { WorldMessage } from './world.ts'

/** Everything said in the district, as the demo reads it. */
export interface DemoWorld {
  readonly groups: ReadonlyMap<string, { topic: string }>
  readonly transcript: readonly WorldMessage[]
  readonly names: ReadonlyMap<string, string>
  villagersOf(topic: string): string[]
  onMessage(fn: (m: WorldMessage) => void): () => void
  sayToBot(person: string, bot: string, text: string): void
  sayInGroup(person: string, topic: string, text: string): void
  postsIn(topic: string, containing: string): WorldMessage[]
  dmsTo(key: string): WorldMessage[]
}

/** A running district: the app, its accounts and its world. */
export interface DemoDistrict {
  readonly app: Cascade
  readonly cfg: CascadeConfig
  readonly store: Store
  readonly outboxes: Outboxes
  readonly world: DemoWorld
  close(opts?: { keepKeys?: boolean }): Promise<void>
}
