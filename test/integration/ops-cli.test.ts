/**
 * The operator's command line (issue 26, items 4 and 6): the configuration from CASCADE_CONFIG /
 * CASCADE_BOTS, `validate --strict`, `status` under a configuration that does not know the notice,
 * and the small lies fixed (English `cases`, PORT=abc, an --out that cannot be written, one `bot`
 * per log line, over-indented YAML). `cascade` runs in this process (main()), on a real Redis in
 * its own namespace.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config/load.ts'
import { cascade, clearTestNamespace, demoConfig, REDIS_URL, ROOT } from '../helpers.ts'

const NS = `test-opscli-${Date.now().toString(36)}`
const tmp = mkdtempSync(path.join(tmpdir(), 'cascade-opscli-'))
const saved = { ...process.env }

/** A copy of config/ and bots/ in tmp, with `edit` applied to each YAML file's text. */
function copyConfig(name: string, edit: (text: string, file: string) => string = t => t): { config: string; bots: string } {
  const dirs = { config: path.join(tmp, name, 'config'), bots: path.join(tmp, name, 'bots') }
  for (const [from, to] of [['config', dirs.config], ['bots', dirs.bots]]) {
    cpSync(path.join(ROOT, from), to, { recursive: true })
    for (const f of readdirSync(to).filter(f => f.endsWith('.yaml'))) writeFileSync(path.join(to, f), edit(readFileSync(path.join(to, f), 'utf8'), f))
  }
  return dirs
}

beforeAll(() => { Object.assign(process.env, { REDIS_URL, CASCADE_NS: NS, LOG_LEVEL: '' }) })
afterEach(() => { delete process.env.CASCADE_CONFIG; delete process.env.CASCADE_BOTS })
afterAll(async () => {
  process.env = saved
  rmSync(tmp, { recursive: true, force: true })
  await clearTestNamespace(NS)
})

describe('the configuration, set once (item 4)', () => {
  it('validate reads CASCADE_CONFIG / CASCADE_BOTS; --strict fails on a file not read or a feature off', async () => {
    const dirs = copyConfig('misnamed')
    cpSync(path.join(dirs.config, 'cases.yaml'), path.join(dirs.config, 'case.yaml'))
    rmSync(path.join(dirs.config, 'cases.yaml'))
    Object.assign(process.env, { CASCADE_CONFIG: dirs.config, CASCADE_BOTS: dirs.bots })
    const plain = await cascade('validate')
    expect(plain.code, plain.err).toBe(0)
    expect(plain.out).toContain(path.join('misnamed', 'config'))
    expect(plain.err).toMatch(/not read .*case\.yaml/)
    const strict = await cascade('validate', '--strict')
    expect(strict.code).toBe(1)
    expect(strict.err).toMatch(/--strict: 1 file not read; off: cases/)
    // The flag wins over the environment: the repository's own config is complete.
    expect((await cascade('validate', '--strict', '--config', path.join(ROOT, 'config'), '--bots', path.join(ROOT, 'bots'))).code).toBe(0)
  })

  it('status of a notice whose nodes this configuration does not know is an error naming the configuration it needs', async () => {
    const published = await cascade('publish', '--node', 'chaotian', '--text', '测试：换了配置', '--severity', 'info')
    expect(published.code, published.err).toBe(0)
    const code = published.out.trim()
    expect((await cascade('status', code)).code).toBe(0)
    // Another district's configuration: the same shape, other node ids.
    const other = copyConfig('other', t => t.replace(/\bchaotian\b/g, 'qingchuan').replace(/\bzhongzi\b/g, 'qiaozhuang'))
    process.env.CASCADE_CONFIG = other.config
    process.env.CASCADE_BOTS = other.bots
    const wrong = await cascade('status', code)
    expect(wrong.code).toBe(1)
    expect(wrong.out).toBe('') // no tree of 0/0 groups
    expect(wrong.err).toContain(`${code} was published in a network this configuration does not know: nodes chaotian, zhongzi`)
    expect(wrong.err).toContain(`not in ${other.config}/network.yaml`)
    expect(wrong.err).toContain('--config DIR (and --bots DIR), or CASCADE_CONFIG / CASCADE_BOTS')
    expect((await cascade('audit', code)).code).toBe(1)
  })

  it('run takes a bare account id from CASCADE_BOTS', async () => {
    const dirs = copyConfig('run')
    process.env.CASCADE_BOTS = dirs.bots
    const r = await cascade('run', 'bot-nowhere')
    expect(r.code).toBe(1)
    expect(r.err).toContain(`${path.join(dirs.bots, 'bot-nowhere.yaml')}: not a bot file in ${dirs.bots}`)
  })
})

describe('cascade check (item 7: upgrading)', () => {
  it('says what must change: an account removed from bots/ with posts still waiting', async () => {
    const { compose } = await import('../../src/app/compose.ts')
    const { BotHealth } = await import('../../src/infra/bot-health.ts')
    const { silentLogger } = await import('../../src/infra/log.ts')
    const c = compose({ cfg: await demoConfig(), redisUrl: REDIS_URL, ns: NS, log: silentLogger })
    const before = await cascade('check')
    expect(before.code, before.out).toBe(0)
    expect(before.out).toMatch(/^Nothing must change\.$/m)
    // An account of the old version (bots/bot-west.yaml, gone now) with a post still in its outbox.
    await new BotHealth(c.app.store).recordSend('bot-west', Date.now())
    await c.app.outboxes.enqueue('bot-west', { idem: 'check-26', target: { kind: 'group', topic: '曾家镇群众信息发布群' }, text: '测试：等待' }, 1)
    await c.close()
    const after = await cascade('check')
    expect(after.code).toBe(1)
    expect(after.out).toMatch(/^must +account bot-west has a record in Redis but no bots\/bot-west\.yaml: 1 post\(s\) wait in its outbox/m)
    expect(after.out).toMatch(/^1 thing\(s\) must change before this version runs\.$/m)
  })
})

describe('small lies (item 6)', () => {
  it('cases speaks English; acks export names the folder it cannot write to; PORT=abc is said plainly', async () => {
    const cases = await cascade('cases')
    expect(cases.code, cases.err).toBe(0)
    expect(cases.out.trim()).toBe('(no cases)')
    const code = (await cascade('publish', '--node', 'chaotian', '--text', '测试：导出', '--severity', 'info')).out.trim()
    const exported = await cascade('acks', 'export', code, '--format', 'csv', '--out', '/nonexistent-26/a.csv')
    expect(exported.code).toBe(1)
    expect(exported.err).toBe('cannot write --out /nonexistent-26/a.csv: the folder /nonexistent-26 does not exist')
    const { serve } = await import('../../src/cli/serve.ts')
    await expect(serve(await demoConfig(), {}, { PORT: 'abc' })).rejects.toThrow(/^PORT=abc is not a port: give a whole number from 1 to 65535 \(default 8080\)/)
  })

  it('a bot process logs its account once per line', () => {
    const script = "import { createLogger } from './src/infra/log.ts'; createLogger({ bot: 'bot-north' }).child({ bot: 'bot-north' }).info('x')"
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' })
    expect(r.stderr.match(/"bot":/g), r.stderr).toHaveLength(1)
  })

  it('an over-indented line is reported as indentation, at that line', async () => {
    const dirs = copyConfig('indent', (t, f) => f === 'network.yaml' ? t.replace('    name: 朝天区\n    level: district', '    name: 朝天区\n      level: district') : t)
    const line = readFileSync(path.join(dirs.config, 'network.yaml'), 'utf8').split('\n').indexOf('      level: district') + 1
    const err = await loadConfig({ configDir: dirs.config, botsDir: dirs.bots }).catch(e => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems).toEqual([expect.objectContaining({ line, message: `YAML indentation: line ${line} is indented 2 spaces more than line ${line - 1} above it; keys of one mapping must start in the same column (remove 2 spaces)` })])
  })
})
