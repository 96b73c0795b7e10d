/**
 * Reading YAML config files with precise problems: every problem names the file, the line and
 * the path inside the file, and says what is allowed. Shared by every config loader.
 */
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'
import { decodeConfigFile } from './encoding.ts'
import { findOverIndent, indentProblem, INDENT_MESSAGES } from './yaml-indent.ts'

/** One thing wrong with the config: where (file, line, path inside the file) and what is allowed. */
export interface ConfigProblem {
  file: string
  /** 1-based line in the file, when known. */
  line?: number
  /** Path inside the file, e.g. `nodes[3].parent` or `pacing.perMinute`; '' for the whole file. */
  path: string
  message: string
}

/** How many alias expansions a file may make (yaml's own bound, named here). */
const MAX_ALIAS_COUNT = 100
export const SLUG = /^[a-z0-9]+(?:[-_][a-z0-9]+)*$/
const LIST_MAX = 8

// ---------------------------------------------------------------------------------------------
// Files and positions

export type Path = readonly (string | number)[]
export type Obj = Record<string, unknown>

export interface Source {
  file: string
  doc: ReturnType<typeof parseDocument>
  lines: LineCounter
  data: unknown
}

export class Problems {
  readonly list: ConfigProblem[] = []
  /** Files in reading order, to list problems file by file. */
  private readonly files: string[] = []
  /** Problems that stop a whole file from being read (missing, encoding, syntax): root causes. */
  private readonly roots = new Set<ConfigProblem>()

  /** Root causes first (a file that could not be read), then by file (reading order), then line. */
  sorted(): ConfigProblem[] {
    const rank = (p: ConfigProblem) => (this.files.includes(p.file) ? this.files.indexOf(p.file) : this.files.length)
    const root = (p: ConfigProblem) => (this.roots.has(p) ? 0 : 1)
    return [...this.list].sort((a, b) => root(a) - root(b) || rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0))
  }

  /** A problem that keeps the whole file from being read. */
  unreadable(file: string, message: string, line?: number): void {
    const p: ConfigProblem = { file, line, path: '', message }
    this.roots.add(p)
    this.list.push(p)
  }

  /** Registers a file in reading order. */
  reading(file: string): void {
    if (!this.files.includes(file)) this.files.push(file)
  }

  at(src: Source, p: Path, message: string): void {
    this.list.push({ file: src.file, line: lineOf(src, p), path: formatPath(p), message })
  }

  whole(file: string, message: string, line?: number): void {
    this.list.push({ file, line, path: '', message })
  }
}

/** Reads and parses one YAML file; reports a missing file or syntax errors and returns undefined. */
export async function readSource(file: string, problems: Problems, hint: string): Promise<Source | undefined> {
  problems.reading(file)
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    problems.unreadable(file, code === 'ENOENT' ? `file not found; it should contain ${hint}` : `cannot read: ${(err as Error).message}`)
    return undefined
  }
  const decoded = decodeConfigFile(bytes, file)
  if (!decoded.ok) {
    problems.unreadable(file, decoded.problem)
    return undefined
  }
  const text = decoded.text
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    // yaml often reports one mistake as several errors on the same line: keep the first per line.
    const byLine = new Map<number, string>()
    for (const e of doc.errors) {
      const line = lines.linePos(e.pos[0]).line
      if (!byLine.has(line)) byLine.set(line, e.message)
    }
    for (const [line, message] of byLine) {
      // An over-indented line is reported by the parser at the line above it, in its own words.
      const over = INDENT_MESSAGES.test(message) ? findOverIndent(text, line) : undefined
      if (over) problems.unreadable(file, `YAML ${indentProblem(over)}`, over.line)
      else problems.unreadable(file, `YAML syntax error: ${message}`, line)
    }
    return undefined
  }
  let data: unknown
  try {
    // yaml refuses aliases that expand beyond a bound (an "alias bomb": a few lines, gigabytes).
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    const excessive = /alias/i.test((err as Error).message)
    problems.unreadable(file, excessive
      ? `YAML aliases (*name) expand too far (over ${MAX_ALIAS_COUNT} copies): write the values out instead of nesting aliases`
      : `cannot read: ${(err as Error).message}`)
    return undefined
  }
  return { file, doc, lines, data }
}

/** The 1-based line of `p` in the file: the key of the deepest field found, or the list item. */
export function lineOf(src: Source, p: Path): number | undefined {
  let node: unknown = src.doc.contents
  let offset = rangeStart(node)
  for (const seg of p) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg))
      if (!pair) break
      offset = rangeStart(pair.key) ?? offset
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
      node = node.items[seg]
      offset = rangeStart(node) ?? offset
    } else {
      break
    }
  }
  return offset === undefined ? undefined : src.lines.linePos(offset).line
}

export function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range
  return range?.[0]
}

/** `['nodes', 3, 'parent']` → `nodes[3].parent`; odd keys are quoted: `["a b"]`. */
export function formatPath(p: Path): string {
  let out = ''
  for (const seg of p) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (/^[\p{L}\p{N}_-]+$/u.test(seg)) out += out ? `.${seg}` : seg
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** `nodes[0] (line 3)` — to point at another place in a message. */
export function placeOf(src: Source, p: Path): string {
  const line = lineOf(src, p)
  return `${formatPath(p)}${line !== undefined ? ` (line ${line})` : ''}`
}

// ---------------------------------------------------------------------------------------------
// Reading typed values with precise problems

export interface FieldSpec {
  required?: boolean
  /** What the field holds; shown when it is missing. */
  hint: string
}
export type Fields = Record<string, FieldSpec>

/** Reads values out of one parsed file, reporting each problem against that file. */
export class Reader {
  constructor(
    readonly src: Source,
    readonly problems: Problems,
  ) {}

  report(p: Path, message: string): void {
    this.problems.at(this.src, p, message)
  }

  place(p: Path): string {
    return placeOf(this.src, p)
  }

  /** A mapping with only known fields and every required one present; undefined if not a mapping. */
  mapping(value: unknown, p: Path, fields: Fields): Obj | undefined {
    const names = Object.keys(fields)
    if (!isObj(value)) {
      this.report(p, `must be a mapping with fields: ${names.join(', ')} (got ${describe(value)})`)
      return undefined
    }
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(fields, key)) {
        this.report([...p, key], `unknown field "${key}"${didYouMean(key, names)}; allowed fields: ${names.join(', ')}`)
      }
    }
    for (const [key, spec] of Object.entries(fields)) {
      if (spec.required && value[key] == null) {
        this.report([...p, key], `required field ${value[key] === null ? 'is empty' : 'missing'} (${spec.hint})`)
      }
    }
    return value
  }

  /** A non-empty string (a slug when `slug`); undefined when absent or invalid (reported). */
  string(obj: Obj, p: Path, key: string, slug = false): string | undefined {
    const v = obj[key]
    if (v == null) return undefined
    if (typeof v !== 'string' || v.trim() === '') {
      this.report([...p, key], `must be a non-empty string (got ${describe(v)})`)
      return undefined
    }
    if (slug && !SLUG.test(v)) {
      this.report([...p, key], `must be a slug of lowercase letters, digits and "-" such as zhongzi-xicun (got ${describe(v)})`)
      return undefined
    }
    return v
  }

  oneOf<T extends string>(obj: Obj, p: Path, key: string, allowed: readonly T[]): T | undefined {
    const v = obj[key]
    if (v == null) return undefined
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T
    this.report([...p, key], `must be one of: ${allowed.join(', ')} (got ${describe(v)})`)
    return undefined
  }

  /** An integer ≥ min; `fallback` when absent. */
  integer(obj: Obj, p: Path, key: string, min: number, fallback?: number): number | undefined {
    return this.numeric(obj, p, key, min, fallback, true)
  }

  /** A number ≥ min (fractions allowed, e.g. minutes); `fallback` when absent. */
  number(obj: Obj, p: Path, key: string, min: number, fallback?: number): number | undefined {
    return this.numeric(obj, p, key, min, fallback, false)
  }

  private numeric(obj: Obj, p: Path, key: string, min: number, fallback: number | undefined, integer: boolean): number | undefined {
    const v = obj[key]
    if (v == null) return fallback
    if (typeof v === 'number' && (integer ? Number.isInteger(v) : Number.isFinite(v)) && v >= min) return v
    this.report([...p, key], `must be ${integer ? 'an integer' : 'a number'} ≥ ${min} (got ${describe(v)})`)
    return undefined
  }

  /** A list (default []); reports anything else. */
  list(obj: Obj, p: Path, key: string): unknown[] {
    const v = obj[key]
    if (v == null) return []
    if (Array.isArray(v)) return v
    this.report([...p, key], `must be a list, e.g. [a, b] (got ${describe(v)})`)
    return []
  }

  /** A list of non-empty strings (default []); bad items are reported and left out. */
  strings(obj: Obj, p: Path, key: string, what: string): string[] {
    const out: string[] = []
    this.list(obj, p, key).forEach((v, i) => {
      if (typeof v === 'string' && v.trim() !== '') out.push(v)
      else this.report([...p, key, i], `must be ${what} (a non-empty string; got ${describe(v)})`)
    })
    return out
  }
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A short rendering of a bad value for messages. */
export function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return JSON.stringify(v)
  return String(v)
}

/** `a, b, c` — the first 8 then `…`. */
export function shortList(items: Iterable<string>): string {
  const all = [...items]
  if (all.length === 0) return '(none)'
  return all.length > LIST_MAX ? `${all.slice(0, LIST_MAX).join(', ')}, …` : all.join(', ')
}

/** ` (did you mean "x"?)` when a candidate is a close spelling of `word`, else ''. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  let best: string | undefined
  let bestDist = Math.max(2, Math.floor(word.length / 4)) + 1
  for (const c of candidates) {
    const d = editDistance(word, c)
    if (d < bestDist) [best, bestDist] = [c, d]
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`
}

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

/** `unknown node "x" (did you mean "y"?); known nodes: a, b, …` */
export function unknownRef(kind: string, kinds: string, id: string, known: Iterable<string>): string {
  const list = [...known]
  return `unknown ${kind} "${id}"${didYouMean(id, list)}; known ${kinds}: ${shortList(list)}`
}

/** `file` relative to the current directory when it is under it, else unchanged. */
export function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), path.resolve(file))
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file
}
