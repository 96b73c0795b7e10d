/**
 * Issue 23, item 4: the HTTP side under fuzz, as test/domain/parsers-fuzz.test.ts does for the chat
 * parsers. ~400 seeded requests to the API, the sign-in form and the signed-in actions, with
 * charsets (UTF-16, latin1, GBK, unknown ones), Content-Encodings (gzip, deflate, br, unknown,
 * doubled, a gzip header on plain bytes), repeated form fields, zero-width and broken
 * percent-encoded values, bodies near and over 64 kB, broken cookies and URLs. No answer is a 500,
 * no line is logged at error level, and the API still publishes afterwards.
 */
import { gzipSync, deflateSync, brotliCompressSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import type { SimDistrict } from '../../src/sim/district.ts'
import { startDistrict } from '../helpers.ts'
import { errorLines, preSession, signIn, startHttp, TOKEN, type Running } from './http-helpers.ts'
import { seeded } from '../../src/sim/seeded.ts'

let d: SimDistrict | undefined
let run: Running | undefined
afterEach(async () => {
  await run?.close()
  run = undefined
  await d?.close()
  d = undefined
})

const CHARSETS = ['utf-8', 'UTF-8', '"utf-8"', 'utf-16', 'utf-16le', 'utf-16be', 'latin1', 'iso-8859-1', 'koi8-r', 'gbk', 'gb2312', 'big5', 'ascii', 'x-unknown', 'utf-7', '']
const ENCODINGS = ['', 'identity', 'gzip', 'deflate', 'br', 'x-zip', 'gzip, gzip', 'compress', 'GZIP', 'gzip-garbage', 'deflate-garbage']
const TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/json', 'application/json', 'text/plain', 'multipart/form-data; boundary=x', '']
const FIELDS = ['_csrf', 'token', 'text', 'reason', 'node', 'confirm', 'severity', 'category', 'at', 'ackRequired', 'drill', '__proto__', 'constructor', 'text[]', 'a[b]']
const VALUES = ['', 'x', '今晚停水', '\u200b\u200b', '\u202e\u2066', '\uD83D', '%E0%A4', '%', '%%', '+', 'yes', 'on', 'chaotian', 'urgent', '2026-12-01T08:00', '【紧急通知】', '—— 朝天区 · 编号 A7K2', TOKEN]
const PATHS = ['/api/announcements', '/api/announcements', '/cc/login', '/cc/login', '/cc/login', '/cc/publish', '/cc/n/CODE/correct', '/cc/n/CODE/retract', '/cc/n/%E0%A4/correct', '/api/announcements/%E0%A4', '/cc/%ZZ']

/** Percent-encoded; a lone surrogate as the bytes of one (%ED%A0%BD, not UTF-8). */
function percent(v: string): string { return encodeURIComponent(v.replace(/[\uD800-\uDFFF]/g, '')) + (/[\uD800-\uDFFF]/.test(v) ? '%ED%A0%BD' : '') }

function pick<T>(r: () => number, xs: readonly T[]): T { return xs[Math.floor(r() * xs.length)] }

function encodeCharset(text: string, charset: string): Buffer {
  const c = charset.replace(/"/g, '').toLowerCase()
  if (c === 'utf-16' || c === 'utf-16le') return Buffer.from(text, 'utf16le')
  if (c === 'latin1' || c === 'iso-8859-1' || c === 'ascii') return Buffer.from(text, 'latin1')
  return Buffer.from(text, 'utf8')
}

function compress(body: Buffer, encoding: string): Buffer {
  if (encoding === 'gzip' || encoding === 'GZIP') return gzipSync(body)
  if (encoding === 'deflate') return deflateSync(body)
  if (encoding === 'br') return brotliCompressSync(body)
  if (encoding === 'gzip, gzip') return gzipSync(gzipSync(body))
  return body // identity, unknown ones, and the "-garbage" ones: plain bytes under a compression header
}

describe('the HTTP side under fuzz', () => {
  it('answers ~400 random requests with no 500 and no error-level line', async () => {
    d = await startDistrict()
    run = await startHttp(d)
    const { url, lines } = run
    const code = (await d.app.publish({ node: 'chaotian', author: 'ops-cli', text: '明天停水' })).code
    const session = await signIn(url)
    const pre = await preSession(url)
    const r = seeded(23) // the same requests every run
    const statuses = new Map<number, number>()
    for (let i = 0; i < 400; i++) {
      const path = pick(r, PATHS).replace('CODE', code)
      const type = pick(r, TYPES)
      const charset = pick(r, CHARSETS)
      const encoding = pick(r, ENCODINGS)
      const fields: [string, string][] = []
      for (let n = Math.floor(r() * 8); n > 0; n--) fields.push([pick(r, FIELDS), pick(r, VALUES)])
      if (r() < 0.5) fields.push(['_csrf', path === '/cc/login' ? pre.csrf : session.csrf])
      if (r() < 0.3) fields.push([pick(r, FIELDS), pick(r, VALUES)]) // often a repeat
      const k = r()
      const text = type === 'application/json' && k < 0.6
        ? JSON.stringify(Object.fromEntries(fields))
        : k < 0.8 ? fields.map(([f, v]) => `${f}=${r() < 0.5 ? percent(v) : v}`).join('&')
          : `${fields.map(([f]) => f).join('=&')}=`.padEnd(60_000 + Math.floor(r() * 10_000), r() < 0.5 ? '\u200b' : 'x')
      const headers: Record<string, string> = {}
      if (type) headers['content-type'] = charset ? `${type}; charset=${charset}` : type
      if (encoding) headers['content-encoding'] = encoding.replace('-garbage', '')
      if (path.startsWith('/api/') && r() < 0.8) headers.authorization = `Bearer ${TOKEN}`
      const c = r()
      headers.cookie = c < 0.4 ? `${session.cookie}; ${pre.cookie}` : c < 0.6 ? pre.cookie : c < 0.8 ? 'cc_sid=%E0%A4; cc_pre=%' : `cc_sid=${percent(pick(r, VALUES))}`
      const body = compress(encodeCharset(text, charset), encoding)
      const res = await fetch(`${url}${path}`, { method: 'POST', headers, body: new Uint8Array(body), redirect: 'manual' })
      await res.arrayBuffer()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
      expect(res.status, `${i}: POST ${path} ${JSON.stringify(headers)} ${text.slice(0, 200)}`).toBeLessThan(500)
    }
    expect(errorLines(lines)).toEqual([])
    // The fuzz met each kind of refusal.
    for (const s of [400, 413, 415]) expect(statuses.get(s), `answers ${s} among ${JSON.stringify([...statuses])}`).toBeGreaterThan(0)
    const ok = await fetch(`${url}/api/announcements`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ node: 'zhongzi-xicun', text: '紧急：今晚停水' }) })
    expect(ok.status).toBe(201)
  }, 120_000)
})
