/** templates.yaml: every chat text the bots send, a mapping `key: text` checked against the keys the code uses. */
import { isMap, isScalar } from 'yaml'
import { checkTemplates } from '../domain/templates.ts'
import { describe, type Obj, type Reader } from './yaml-source.ts'

export function parseTemplates(r: Reader): Record<string, string> {
  const contents = r.src.doc.contents
  if (!isMap(contents)) {
    r.report([], `must be a mapping of template keys to chat texts (key: text), got ${describe(r.src.data)}`)
    return {}
  }
  const out: Record<string, string> = {}
  for (const pair of contents.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined
    if (typeof key !== 'string') {
      r.report([String(key)], `template keys must be strings (got ${describe(key)})`)
      continue
    }
    const value = (r.src.data as Obj)[key]
    if (typeof value === 'string' && value.trim() !== '') out[key] = value
    else r.report([key], `must be a non-empty string: the text sent in chat (got ${describe(value)})`)
  }
  // A key present but empty was reported above; report only what is missing or misworded.
  for (const p of checkTemplates(out)) if (p.key in out || !Object.hasOwn(r.src.data as Obj, p.key)) r.report([p.key], p.message)
  return out
}
