/**
 * Config files that are not UTF-8 (GBK, UTF-16 with or without a byte-order mark) are refused
 * with the file, the encoding it looks like and the command that converts it — never its text.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeConfigFile } from '../../src/config/encoding.ts'
import { ConfigError, loadConfig } from '../../src/config/load.ts'
import { loadRumorLibrary } from '../../src/domain/rumor/library.ts'
import { ROOT } from '../helpers.ts'

/** 李红 in GBK. */
const GBK_NAME = Buffer.from([0xc0, 0xee, 0xba, 0xec])

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }) })

function demoCopy(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-enc-'))
  dirs.push(dir)
  fs.cpSync(path.join(ROOT, 'config'), path.join(dir, 'config'), { recursive: true })
  return path.join(dir, 'config')
}

/** The file in GBK, as Chinese Windows saves it (iconv, part of Debian's libc-bin). */
function asGbk(file: string): Buffer {
  const r = spawnSync('iconv', ['-f', 'UTF-8', '-t', 'GBK', file])
  if (r.status !== 0) throw new Error(`iconv: ${r.stderr}`)
  return r.stdout
}

describe('config file encodings', () => {
  it('accepts UTF-8, with or without a byte-order mark', () => {
    expect(decodeConfigFile(Buffer.from('name: 李红\n'), 'a.yaml')).toEqual({ ok: true, text: 'name: 李红\n' })
    expect(decodeConfigFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name: 李红\n')]), 'a.yaml')).toEqual({ ok: true, text: 'name: 李红\n' })
  })

  it('names GBK, UTF-16 with and without a byte-order mark, with the iconv command', () => {
    const gbk = decodeConfigFile(Buffer.concat([Buffer.from('people:\n  - name: '), GBK_NAME, Buffer.from('\n')]), 'config/people.yaml')
    expect(gbk).toEqual({ ok: false, problem: expect.stringContaining('first non-UTF-8 bytes on line 2); it looks like GBK') })
    expect(!gbk.ok && gbk.problem).toContain('iconv -f GBK -t UTF-8 config/people.yaml > config/people.yaml.utf8 && mv config/people.yaml.utf8 config/people.yaml')
    const le = decodeConfigFile(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('name: 李红\n', 'utf16le')]), 'x.yaml')
    expect(!le.ok && le.problem).toMatch(/UTF-16 \(little-endian, with a byte-order mark\).*iconv -f UTF-16 -t UTF-8/)
    const bare = decodeConfigFile(Buffer.from('nodes:\n  - id: chaotian\n    name: 朝天区\n', 'utf16le'), 'my dir/x.yaml')
    expect(!bare.ok && bare.problem).toMatch(/UTF-16 little-endian without a byte-order mark.*iconv -f UTF-16LE -t UTF-8 'my dir\/x.yaml'/)
    const be = Buffer.from('nodes:\n  - id: chaotian\n', 'utf16le').swap16()
    expect(!decodeConfigFile(be, 'x.yaml').ok && (decodeConfigFile(be, 'x.yaml') as { problem: string }).problem).toMatch(/UTF-16 big-endian.*UTF-16BE/)
  })

  it('validate names the file and the encoding, and never dumps the text', async () => {
    const dir = demoCopy()
    fs.writeFileSync(path.join(dir, 'people.yaml'), asGbk(path.join(dir, 'people.yaml')))
    const templates = fs.readFileSync(path.join(dir, 'templates.yaml'), 'utf8')
    fs.writeFileSync(path.join(dir, 'templates.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(templates, 'utf16le')]))
    const err = await loadConfig({ configDir: dir, botsDir: path.join(ROOT, 'bots') }).then(() => undefined, e => e)
    expect(err).toBeInstanceOf(ConfigError)
    const problems = (err as ConfigError).problems
    const people = problems.find(p => p.file.endsWith('people.yaml'))!
    expect(people.message).toMatch(/it looks like GBK.*iconv -f GBK -t UTF-8/)
    const tpl = problems.find(p => p.file.endsWith('templates.yaml'))!
    expect(tpl.message).toMatch(/UTF-16.*iconv -f UTF-16 -t UTF-8/)
    for (const p of problems) expect(p.message.length, p.message).toBeLessThan(400)
    expect(problems.map(p => p.message).join('\n')).not.toContain('approval_request')
  })

  it('a rumor library in GBK is refused the same way', async () => {
    const dir = demoCopy()
    const file = path.join(dir, 'rumors.yaml')
    fs.writeFileSync(file, asGbk(file))
    await expect(loadRumorLibrary(file)).rejects.toThrow(/rumors\.yaml: the file is not UTF-8 .*GBK/)
  })
})
