/** people.yaml: everyone who holds a role, declared once. */
import type { PersonConfig } from './types.ts'
import type { Fields, Path, Reader } from './yaml-source.ts'

const PEOPLE_FIELDS: Fields = { people: { required: true, hint: 'a list of { id, name, title }' } }
const PERSON_FIELDS: Fields = {
  id: { required: true, hint: 'a slug such as zhao-min' },
  name: { required: true, hint: 'the person’s name, e.g. 赵敏' },
  title: { hint: 'what they do, e.g. 中子镇宣传委员' },
}

export interface ParsedPerson {
  id: string
  person: PersonConfig
}

export function parsePeople(r: Reader): ParsedPerson[] {
  const top = r.mapping(r.src.data, [], PEOPLE_FIELDS)
  if (!top) return []
  const seen = new Map<string, Path>()
  const out: ParsedPerson[] = []
  r.list(top, [], 'people').forEach((raw, i) => {
    const at: Path = ['people', i]
    const obj = r.mapping(raw, at, PERSON_FIELDS)
    if (!obj) return
    const id = r.string(obj, at, 'id', true)
    const name = r.string(obj, at, 'name')
    const title = r.string(obj, at, 'title')
    if (id === undefined) return
    const first = seen.get(id)
    if (first) return r.report([...at, 'id'], `duplicate person id "${id}"; first defined at ${r.place(first)}`)
    seen.set(id, at)
    out.push({ id, person: { id, name: name ?? '', ...(title !== undefined ? { title } : {}) } })
  })
  return out
}
