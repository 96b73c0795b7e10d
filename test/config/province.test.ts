/** config/province.yaml: read by both ends of a province's hand-off; every problem names file, line and path. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { readProvince } from '../../src/config/province.ts'
import { Problems } from '../../src/config/yaml-source.ts'

const dirs: string[] = []
afterEach(() => { for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true }) })

async function read(text: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-province-'))
  dirs.push(dir)
  const file = path.join(dir, 'province.yaml')
  fs.writeFileSync(file, text)
  const problems = new Problems()
  const cfg = await readProvince(file, problems)
  return { cfg, problems: problems.sorted().map(p => `${p.line}:${p.path} ${p.message}`) }
}

describe('province.yaml', () => {
  it('reads the province and its districts', async () => {
    const { cfg, problems } = await read('id: sichuan\nname: 四川省\ndistricts:\n  - { id: chaotian, name: 朝天区, ns: cascade }\n  - { id: lizhou, name: 利州区, ns: lizhou }\n')
    expect(problems).toEqual([])
    expect(cfg).toEqual({ id: 'sichuan', name: '四川省', districts: [{ id: 'chaotian', name: '朝天区', ns: 'cascade' }, { id: 'lizhou', name: '利州区', ns: 'lizhou' }] })
  })

  it('is optional', async () => {
    const problems = new Problems()
    expect(await readProvince(path.join(os.tmpdir(), 'no-such-dir', 'province.yaml'), problems)).toBeUndefined()
    expect(problems.list).toEqual([])
  })

  it('names each problem: a namespace shared, the province\'s own, a bad one, a field unknown or missing', async () => {
    const { cfg, problems } = await read([
      'id: sichuan', 'districts:',
      '  - { id: chaotian, name: 朝天区, ns: cascade }',
      '  - { id: lizhou, name: 利州区, ns: cascade }',
      '  - { id: cangxi, name: 苍溪县, ns: sichuan }',
      '  - { id: wangcang, name: 旺苍县, ns: "wang cang" }',
      '  - { id: jiange, name: 剑阁县, namespace: jiange }',
      '',
    ].join('\n'))
    expect(cfg).toBeUndefined()
    expect(problems).toEqual([
      expect.stringMatching(/^\d+:name required field missing/),
      expect.stringMatching(/^4:districts\[1\]\.ns namespace "cascade" is already another district's/),
      expect.stringMatching(/^5:districts\[2\]\.ns is the province's own namespace "sichuan"/),
      expect.stringMatching(/^6:districts\[3\]\.ns must be a namespace of letters, digits, _ \. -/),
      expect.stringMatching(/^7:districts\[4\]\.namespace unknown field "namespace"/),
      expect.stringMatching(/^7:districts\[4\]\.ns required field missing/),
    ])
  })

  it('needs at least one district', async () => {
    const { problems } = await read('id: sichuan\nname: 四川省\ndistricts: []\n')
    expect(problems).toEqual([expect.stringMatching(/^3:districts needs at least one district/)])
  })
})
