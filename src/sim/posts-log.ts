/**
 * The mock puppet's own record of what an account posted in groups, kept outside the process:
 * `CASCADE_MOCK_POSTS=<file>` on `cascade run` with `wechaty-puppet-mock` appends one JSON line
 * per group post of the account — `{"at":…,"bot":…,"topic":…,"text":…}` — with a synchronous
 * write as the mock sees the post (before its echo is handled), so a process killed right after
 * loses none. What "posted" means to a measurement that runs the processes in containers
 * (scripts/docker-ha.sh counts lost and doubled posts from it); the fault suite keeps its own.
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import type { WorldMessage } from './world.ts'
import { botContactId } from './world.ts'

export interface PostsLog { onMessage(m: WorldMessage): void; close(): void }

/** A listener for `SimWorld.onMessage` writing `bot`'s group posts to `file` (appended). */
export function postsLog(file: string, bot: string): PostsLog {
  const fd = openSync(file, 'a')
  const self = botContactId(bot)
  return {
    onMessage(m) {
      if (!m.room || m.from !== self) return
      writeSync(fd, JSON.stringify({ at: m.at, bot, topic: m.room, text: m.text }) + '\n')
    },
    close() { closeSync(fd) },
  }
}
