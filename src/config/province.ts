/**
 * config/province.yaml (optional): the province a district belongs to, and every district of it.
 * The same file serves both ends: the province office's `cascade province` hands a notice to each
 * district listed; a district (`cascade serve`/`run`) takes notices handed down by this province
 * only. Checked like every config file: each problem names the file, the line, the path and what
 * is allowed. See docs/PROVINCE.md.
 */
import { existsSync } from 'node:fs'
import { describe, Problems, readSource, Reader, type Fields } from './yaml-source.ts'

export const PROVINCE_FILE = 'province.yaml'
export const PROVINCE_FILE_HINT = 'the province: `id` (its namespace), `name`, and `districts:` a list of { id, name, ns }'

/** A Redis namespace (`CASCADE_NS`): what `src/store/keys.ts` accepts. */
const NAMESPACE = /^[\w.-]+$/

export interface ProvinceDistrict {
  id: string
  name: string
  /** The district's namespace (its CASCADE_NS): where its notices, relays and queues live. */
  ns: string
}

export interface ProvinceConfig {
  /** The province's id, also the namespace of its own records (hand-offs and their state). */
  id: string
  name: string
  districts: ProvinceDistrict[]
}

const FILE_FIELDS: Fields = {
  id: { required: true, hint: 'the province\'s id and the namespace of its records, e.g. sichuan' },
  name: { required: true, hint: 'its name as people read it, e.g. 四川省' },
  districts: { required: true, hint: 'a list of { id, name, ns }: every district the province hands notices to' },
}
const DISTRICT_FIELDS: Fields = {
  id: { required: true, hint: 'a slug, e.g. chaotian' },
  name: { required: true, hint: 'e.g. 朝天区' },
  ns: { required: true, hint: 'the district\'s Redis namespace (its CASCADE_NS, default cascade)' },
}

export async function readProvince(file: string, problems: Problems): Promise<ProvinceConfig | undefined> {
  if (!existsSync(file)) return undefined
  const src = await readSource(file, problems, PROVINCE_FILE_HINT)
  return src ? parseProvince(new Reader(src, problems)) : undefined
}

export function parseProvince(r: Reader): ProvinceConfig | undefined {
  const before = r.problems.list.length
  const top = r.mapping(r.src.data ?? {}, [], FILE_FIELDS)
  if (!top) return undefined
  const id = r.string(top, [], 'id')
  if (id !== undefined && !NAMESPACE.test(id)) r.report(['id'], `must be a namespace of letters, digits, _ . - (got ${describe(id)})`)
  const name = r.string(top, [], 'name')
  const districts: ProvinceDistrict[] = []
  const ids = new Set<string>()
  const namespaces = new Set<string>()
  const list = r.list(top, [], 'districts')
  if (top.districts != null && list.length === 0) r.report(['districts'], 'needs at least one district { id, name, ns }')
  list.forEach((raw, i) => {
    const at = ['districts', i]
    const d = r.mapping(raw, at, DISTRICT_FIELDS)
    if (!d) return
    const did = r.string(d, at, 'id', true)
    const dname = r.string(d, at, 'name')
    const ns = r.string(d, at, 'ns')
    if (ns !== undefined && !NAMESPACE.test(ns)) { r.report([...at, 'ns'], `must be a namespace of letters, digits, _ . - (got ${describe(ns)})`); return }
    if (ns !== undefined && ns === id) { r.report([...at, 'ns'], `is the province's own namespace "${id}"; each district needs its own`); return }
    if (did !== undefined && ids.has(did)) { r.report([...at, 'id'], `duplicate district id "${did}"`); return }
    if (ns !== undefined && namespaces.has(ns)) { r.report([...at, 'ns'], `namespace "${ns}" is already another district's; each district needs its own`); return }
    if (!did || !dname || !ns) return
    ids.add(did)
    namespaces.add(ns)
    districts.push({ id: did, name: dname, ns })
  })
  if (r.problems.list.length > before || !id || !name) return undefined
  return { id, name, districts }
}
