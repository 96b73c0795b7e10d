/** Small HTTP helpers of the simulated web-WeChat server (no protocol knowledge). */
import type http from 'node:http'

/** Thrown by a handler to answer a bare HTTP status (empty body). */
export class HttpFail extends Error {
  constructor(readonly status: number) { super(`http ${status}`) }
}

export function wake(waiters: Set<() => void>): void {
  for (const w of [...waiters]) w()
}

export function sleep(ms: number): Promise<void> {
  return new Promise(r => setTimeout(r, ms))
}

export function headerOf(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

export function parseCookies(h: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (h ?? '').split(';')) {
    const i = part.indexOf('=')
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim()
  }
  return out
}

export async function readJson(req: http.IncomingMessage): Promise<any> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(c as Buffer)
  if (!chunks.length) return undefined
  const text = Buffer.concat(chunks).toString('utf8')
  try { return JSON.parse(text) } catch { return undefined }
}

export function sendJs(res: http.ServerResponse, js: string): void {
  res.writeHead(200, { 'content-type': 'text/javascript' })
  res.end(js)
}

export function sendJson(res: http.ServerResponse, o: unknown): void {
  const text = JSON.stringify(o)
  res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
