import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { postsLog } from '../../src/sim/posts-log.ts'
import { botContactId } from '../../src/sim/world.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }) })

function lines(file: string): Array<Record<string, unknown>> {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map(l => JSON.parse(l) as Record<string, unknown>)
}

describe('postsLog (CASCADE_MOCK_POSTS)', () => {
  it("appends the account's own group posts, one JSON line each, and nothing else", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'posts-log-'))
    dirs.push(dir)
    const file = path.join(dir, 'posts.jsonl')
    const log = postsLog(file, 'bot-north')
    const me = botContactId('bot-north')
    log.onMessage({ room: '西村村民群', from: me, fromName: 'n', text: '【紧急】A7K2 停水', at: 1 })
    log.onMessage({ room: '西村村民群', from: botContactId('bot-south'), fromName: 's', text: '另一个号的帖', at: 2 }) // a peer's post
    log.onMessage({ room: '西村村民群', from: 'wxid_v_1', fromName: 'v', text: '收到', at: 3 })              // a villager
    log.onMessage({ from: me, fromName: 'n', to: 'wxid_p_zhao-min', text: '私信', at: 4 })                 // a DM
    log.onMessage({ room: '东坝村村民群', from: me, fromName: 'n', text: '【补发】A7K2 停水', at: 5 })
    log.close()
    // A second process (a restart) appends to the same file.
    const again = postsLog(file, 'bot-north')
    again.onMessage({ room: '东坝村村民群', from: me, fromName: 'n', text: 'B2C3', at: 6 })
    again.close()
    expect(lines(file)).toEqual([
      { at: 1, bot: 'bot-north', topic: '西村村民群', text: '【紧急】A7K2 停水' },
      { at: 5, bot: 'bot-north', topic: '东坝村村民群', text: '【补发】A7K2 停水' },
      { at: 6, bot: 'bot-north', topic: '东坝村村民群', text: 'B2C3' },
    ])
  })
})
