import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config/load.ts'
import { policyFor } from '../../src/config/policies.ts'
import { ROOT } from '../helpers.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }) })

/** A copy of the demo config with policies.yaml replaced. */
async function withPolicies(yaml: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-pol-'))
  dirs.push(dir)
  fs.cpSync(path.join(ROOT, 'config'), dir, { recursive: true })
  fs.writeFileSync(path.join(dir, 'policies.yaml'), yaml)
  return loadConfig({ configDir: dir, botsDir: path.join(ROOT, 'bots') })
}

describe('policies.yaml', () => {
  it('applies district defaults with per-node overrides', async () => {
    const cfg = await withPolicies('defaults:\n  urgent: { remindAfter: 2 }\nnodes:\n  zengjia: { urgent: { autoForwardAfter: 4 } }\n')
    expect(policyFor(cfg.policies, 'zhongzi', 'urgent')).toMatchObject({ remindAfter: 2, escalateAfter: 6, autoForwardAfter: 10 })
    expect(policyFor(cfg.policies, 'zengjia', 'urgent')).toMatchObject({ remindAfter: 2, autoForwardAfter: 4 })
    expect(policyFor(cfg.policies, 'zengjia', 'normal').autoForwardAfter).toBeNull()
  })

  it('takes autoForwardAfter 0 (forward at once, nobody asked) whatever the reminder times; a later auto-forward before the reminder is a mistake', async () => {
    const cfg = await withPolicies('defaults:\n  normal: { remindAfter: 60, escalateAfter: 120, autoForwardAfter: 0 }\n')
    expect(policyFor(cfg.policies, 'zhongzi', 'normal').autoForwardAfter).toBe(0)
    const err = await withPolicies('defaults:\n  normal: { remindAfter: 60, escalateAfter: 120, autoForwardAfter: 5 }\n').catch(e => e)
    expect((err as ConfigError).problems.map(p => `${p.path}: ${p.message}`)).toEqual([
      'defaults.normal.autoForwardAfter: must not be less than remindAfter (60), or 0 to forward at once, or null to keep waiting',
    ])
  })

  it('names the file, line and what is allowed for each mistake', async () => {
    const err = await withPolicies('defaults:\n  urgent: { remindAfter: -1, escalateAftr: 3 }\n  critical: {}\nnodes:\n  nowhere: {}\n').catch(e => e)
    expect(err).toBeInstanceOf(ConfigError)
    const lines = (err as ConfigError).problems.map(p => `${path.basename(p.file)}:${p.line} ${p.path}: ${p.message}`)
    expect(lines).toEqual(expect.arrayContaining([
      expect.stringMatching(/^policies\.yaml:2 defaults\.urgent\.remindAfter: must be a number ≥ 0 \(got -1\)/),
      expect.stringMatching(/^policies\.yaml:2 defaults\.urgent\.escalateAftr: unknown field "escalateAftr" \(did you mean "escalateAfter"\?\)/),
      expect.stringMatching(/^policies\.yaml:3 defaults\.critical: unknown field "critical"; allowed fields: urgent, normal, info/),
      expect.stringMatching(/^policies\.yaml:5 nodes\.nowhere: unknown field "nowhere"/),
    ]))
  })
})

describe('rumors.yaml', () => {
  it('is checked with the rest of the config: a broken entry names the file, the entry and the field', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-rum-'))
    dirs.push(dir)
    fs.cpSync(path.join(ROOT, 'config'), dir, { recursive: true })
    fs.writeFileSync(path.join(dir, 'rumors.yaml'), 'rumors:\n  - id: X1\n    claim: 喝热水能杀死病毒\n    category: health\n')
    const err = await loadConfig({ configDir: dir, botsDir: path.join(ROOT, 'bots') }).catch(e => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems).toEqual([expect.objectContaining({ file: path.join(dir, 'rumors.yaml'), message: expect.stringMatching(/rumors\[0\] \(id X1\): missing required field "rebuttal"/) })])
  })
})

describe('rumors.yaml settings', () => {
  it('sets the rebuttal cooldown, and names a wrong setting', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-rum-'))
    dirs.push(dir)
    fs.cpSync(path.join(ROOT, 'config'), dir, { recursive: true })
    const library = fs.readFileSync(path.join(dir, 'rumors.yaml'), 'utf8')
    fs.writeFileSync(path.join(dir, 'rumors.yaml'), library.replace('cooldownMinutes: 360', 'cooldownMinutes: 30'))
    expect((await loadConfig({ configDir: dir, botsDir: path.join(ROOT, 'bots') })).rumors).toEqual({ cooldownSeconds: 1800 })
    fs.writeFileSync(path.join(dir, 'rumors.yaml'), library.replace('cooldownMinutes: 360', 'cooldownMinuts: 30'))
    const err = await loadConfig({ configDir: dir, botsDir: path.join(ROOT, 'bots') }).catch(e => e)
    expect((err as ConfigError).problems[0].message).toMatch(/settings\.cooldownMinuts: unknown field; allowed: cooldownMinutes/)
  })
})
