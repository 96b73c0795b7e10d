/**
 * The CLI speaks to operators in one language (English; the Chinese texts it prints are the
 * notices and status trees staff see in chat), each usage error shows the command's own usage,
 * option mistakes are said in its own words, and a closed pipe ends it quietly (issue 14, item 9).
 */
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { REDIS_URL, ROOT } from '../helpers.ts'

const NS = `test-clicons-${Date.now().toString(36)}`

function cascade(...argv: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'cascade.mjs'), ...argv], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, CASCADE_FROM_SOURCE: '1', CASCADE_NS: NS, REDIS_URL, LOG_LEVEL: '' },
  })
}

describe('the CLI, consistent with itself', () => {
  it('usage errors: the command and its own usage, not the whole help; exit 2', () => {
    const acks = cascade('acks')
    expect(acks.status).toBe(2)
    expect(acks.stderr).toMatch(/^cascade acks: needs a subcommand: export or deadline\n/)
    expect(acks.stderr).toContain('cascade acks export')
    expect(acks.stderr).not.toContain('cascade demo')

    const jsn = cascade('status', 'A7K2', '--jsn')
    expect(jsn.status).toBe(2)
    expect(jsn.stderr).toMatch(/^cascade status: unknown option --jsn \(did you mean --json\?\)/)
    expect(jsn.stderr).toContain('  cascade status <CODE> [--json]')
    expect(jsn.stderr).not.toContain('cascade publish')

    const ttl = cascade('invite', '--person', 'li-hong', '--ttl', '-3')
    expect(ttl.status).toBe(2)
    expect(ttl.stderr).toMatch(/^cascade invite: --ttl needs a value, and "-3" looks like an option \(write --ttl=-3 if it is the value\)/)
    const negative = cascade('invite', '--person', 'li-hong', '--ttl=-3')
    expect(negative.stderr).toMatch(/^cascade invite: --ttl must be a positive number of hours \(got "-3"\)/)
  }, 60_000)

  it('cascade help <command> prints that command only; an unknown one is named', () => {
    const one = cascade('help', 'status')
    expect(one.status).toBe(0)
    expect(one.stdout.trim().split('\n')).toEqual(['usage:', expect.stringMatching(/^ {2}cascade status <CODE> \[--json\]/), '(--config DIR / --bots DIR, else $CASCADE_CONFIG / $CASCADE_BOTS, else config and bots)'])
    const bad = cascade('help', 'stauts')
    expect(bad.status).toBe(2)
    expect(bad.stderr).toMatch(/^unknown command "stauts" \(did you mean "status"\?\); commands: demo, validate, /)
  }, 30_000)

  it('an unknown code is said in English by every command, a case code of the wrong shape too', () => {
    for (const argv of [['status', 'ZZZZ'], ['audit', 'ZZZZ'], ['cancel', 'ZZZZ', '--reason', 'x'], ['update', 'ZZZZ', '--text', 'x'], ['coverage', 'ZZZZ']]) {
      const r = cascade(...argv)
      expect(r.status, argv.join(' ')).toBe(1)
      expect(r.stderr, argv.join(' ')).toMatch(/^no announcement with code ZZZZ/)
    }
    const c = cascade('case', 'ZZZZ')
    expect(c.status).toBe(1)
    expect(c.stderr).toMatch(/^no case with code ZZZZ \(case codes have 6 letters and digits/)
  }, 90_000)

  it('a reader that goes away (| head -1) ends it quietly, exit 0', () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${path.join(ROOT, 'bin', 'cascade.mjs')}" help | (exit 0); echo "rc=\${PIPESTATUS[0]}" >&2`], {
      cwd: ROOT, encoding: 'utf8', env: { ...process.env, CASCADE_FROM_SOURCE: '1' },
    })
    expect(r.stderr).not.toContain('EPIPE')
    expect(r.stderr.trim()).toBe('rc=0')
  }, 30_000)
})
