/** Shared by the HTTP tests: `serve`'s app on a free port, a logger that keeps its lines, a command-centre sign-in. */
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { createHttpApp, type HttpOptions } from '../../src/web/api.ts'
import type { Logger } from '../../src/infra/log.ts'
import { createScraper } from '../../src/infra/metrics-scrape.ts'
import type { SimDistrict } from '../../src/sim/district.ts'

export const TOKEN = 'k'.repeat(16) + '0123456789abcdef'

/** A logger that keeps every entry, to check what reaches the logs. */
export function recordingLogger(lines: string[]): Logger {
  const at = (level: string) => (event: string, fields: Record<string, unknown> = {}) => { lines.push(JSON.stringify({ level, event, ...fields, err: String(fields.err ?? '') })) }
  const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log }
  return log
}

export interface Running { url: string; lines: string[]; close(): Promise<void> }

/** createHttpApp on 127.0.0.1 and a free port. */
export async function startHttp(d: SimDistrict, opts: Partial<HttpOptions> = {}): Promise<Running> {
  const lines: string[] = []
  const http = createHttpApp({ app: d.app, token: TOKEN, log: recordingLogger(lines), scraper: createScraper(d.app), ...opts })
  const server = await new Promise<Server>(resolve => { const s = http.listen(0, '127.0.0.1', () => resolve(s)) })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lines,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}

/** The sign-in form's pre-session cookie and field. */
export async function preSession(url: string, headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string }> {
  const login = await fetch(`${url}/cc/login`, { headers })
  const pre = /cc_pre=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]
  return { cookie: `cc_pre=${pre}`, csrf }
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** Signs in to the command centre; the session cookie and its CSRF token. */
export async function signIn(url: string, token = TOKEN, headers: Record<string, string> = {}): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const pre = await preSession(url, headers)
  const res = await fetch(`${url}/cc/login`, { method: 'POST', redirect: 'manual', headers: { ...headers, ...FORM, cookie: pre.cookie }, body: new URLSearchParams({ _csrf: pre.csrf, token }) })
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`)
  const setCookie = res.headers.getSetCookie().join('\n')
  const cookie = `cc_sid=${/cc_sid=([^;]+)/.exec(setCookie)![1]}`
  const page = await (await fetch(`${url}/cc/publish`, { headers: { cookie } })).text()
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1], setCookie }
}

/** Error-level lines among the logged ones. */
export function errorLines(lines: string[]): string[] { return lines.filter(l => l.includes('"level":"error"')) }
