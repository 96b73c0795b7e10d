/**
 * The rumor library: known rumors with their official rebuttals.
 *
 * File format (YAML; a JSON file with the same structure also works and loads much faster):
 * ```yaml
 * rumors:
 *   - id: R01
 *     claim: 喝高度白酒可以预防新冠病毒
 *     rebuttal: …            # what the bot replies
 *     examples: [ "…" ]      # known wordings of the rumor
 *     urls: [ "http://…" ]   # optional: links that are the rumor
 *     category: epidemic
 *     source: 国家卫生健康委员会  # optional: the authority behind the rebuttal
 * ```
 */
import { readFile } from 'node:fs/promises';
import { decodeConfigFile } from '../../config/encoding.ts';
import { load as parseYaml, YAMLException } from 'js-yaml';

/** One known rumor and its rebuttal. */
export interface RumorEntry {
  /** Stable id, unique in a library (e.g. "R01"). */
  id: string;
  /** The false claim, in one plain sentence. */
  claim: string;
  /** The reply the bot sends: what is true and what to do. */
  rebuttal: string;
  /** Known wordings of the rumor as people forward it. */
  examples: string[];
  /** Links that are the rumor itself (scam pages, fake notices). */
  urls: string[];
  /** Free category, e.g. "epidemic", "scam", "panic". */
  category: string;
  /** The authority whose finding the rebuttal reports ('' when unknown). */
  source: string;
}

/** A library file failed validation. The message names the file, the entry and the field. */
export class RumorLibraryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RumorLibraryError';
  }
}

/** Fields every entry must have as non-empty strings. */
const REQUIRED_STRING_FIELDS = ['id', 'claim', 'rebuttal', 'category'] as const;

function describeEntry(file: string, index: number, raw: unknown): string {
  const id = isRecord(raw) && typeof raw.id === 'string' && raw.id.trim() ? ` (id ${raw.id.trim()})` : '';
  return `${file}: rumors[${index}]${id}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readStringList(value: unknown, where: string, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new RumorLibraryError(`${where}: field "${field}" must be a list of strings`);
  return value.map((item, i) => {
    if (typeof item !== 'string' || !item.trim()) {
      throw new RumorLibraryError(`${where}: field "${field}"[${i}] must be a non-empty string`);
    }
    return item.trim();
  });
}

/**
 * Validate one raw entry (as parsed from YAML or received from a curator) and return a
 * {@link RumorEntry}. `where` prefixes error messages.
 * @throws RumorLibraryError naming the missing or malformed field.
 */
export function validateRumorEntry(raw: unknown, where: string): RumorEntry {
  if (!isRecord(raw)) throw new RumorLibraryError(`${where}: entry must be a mapping`);
  const strings: Record<string, string> = {};
  for (const field of REQUIRED_STRING_FIELDS) {
    const value = raw[field];
    if (value === undefined || value === null || (typeof value === 'string' && !value.trim())) {
      throw new RumorLibraryError(`${where}: missing required field "${field}"`);
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new RumorLibraryError(`${where}: field "${field}" must be a string`);
    }
    strings[field] = String(value).trim();
  }
  if (raw.source !== undefined && raw.source !== null && typeof raw.source !== 'string') {
    throw new RumorLibraryError(`${where}: field "source" must be a string`);
  }
  return {
    id: strings.id,
    claim: strings.claim,
    rebuttal: strings.rebuttal,
    category: strings.category,
    examples: readStringList(raw.examples, where, 'examples'),
    urls: readStringList(raw.urls, where, 'urls'),
    source: typeof raw.source === 'string' ? raw.source.trim() : '',
  };
}

/**
 * Parse and validate the text of a library file. Pure: `file` is only used in messages.
 * @throws RumorLibraryError on malformed YAML, a missing `rumors` list, a missing required
 *   field (message: `<file>: rumors[<index>] (id <id>): missing required field "<field>"`)
 *   or a duplicate id.
 */
export function parseRumorLibrary(text: string, file: string): RumorEntry[] {
  return parseRumorFile(text, file).entries;
}

/** Optional settings of the chat feature, at the top of the library file (`settings:`). */
export interface RumorSettings {
  /** A rumor is answered at most once per group within this many minutes. */
  cooldownMinutes?: number;
}

/** The entries and the optional `settings:` of a library file. */
export function parseRumorFile(text: string, file: string): { entries: RumorEntry[]; settings: RumorSettings } {
  const doc = parseDocument(text, file);
  return { entries: entriesOf(doc, file), settings: settingsOf(doc, file) };
}

function settingsOf(doc: unknown, file: string): RumorSettings {
  const raw = isRecord(doc) ? doc.settings : undefined;
  if (raw === undefined || raw === null) return {};
  if (!isRecord(raw)) throw new RumorLibraryError(`${file}: settings: must be a mapping with cooldownMinutes`);
  for (const key of Object.keys(raw)) {
    if (key !== 'cooldownMinutes') throw new RumorLibraryError(`${file}: settings.${key}: unknown field; allowed: cooldownMinutes`);
  }
  const c = raw.cooldownMinutes;
  if (c !== undefined && (typeof c !== 'number' || !(c >= 0))) {
    throw new RumorLibraryError(`${file}: settings.cooldownMinutes: must be a number ≥ 0 (minutes)`);
  }
  return c === undefined ? {} : { cooldownMinutes: c };
}

function entriesOf(doc: unknown, file: string): RumorEntry[] {
  if (!isRecord(doc) || !Array.isArray(doc.rumors)) {
    throw new RumorLibraryError(`${file}: expected a top-level "rumors:" list`);
  }
  const seen = new Set<string>();
  return doc.rumors.map((raw: unknown, index: number) => {
    const where = describeEntry(file, index, raw);
    const entry = validateRumorEntry(raw, where);
    if (seen.has(entry.id)) throw new RumorLibraryError(`${where}: duplicate id "${entry.id}"`);
    seen.add(entry.id);
    return entry;
  });
}

/**
 * The document in a library file. A file written as JSON (a JSON document is a YAML document
 * with the same meaning) is read with `JSON.parse`; anything else goes to js-yaml, which parses
 * a 10,000-entry library about 10× faster than the `yaml` package the config loader uses (that
 * one keeps source positions for config problems, which a library of thousands does not need).
 */
function parseDocument(text: string, file: string): unknown {
  if (JSON_START.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Not plain JSON after all (e.g. a YAML flow mapping): the YAML parser decides.
    }
  }
  try {
    return parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLException ? `:${err.mark.line + 1}` : '';
    throw new RumorLibraryError(`${file}${line}: invalid YAML: ${err instanceof YAMLException ? err.reason : (err as Error).message}`);
  }
}

/** A document that may be JSON: it opens with `{` (after a byte-order mark or whitespace). */
const JSON_START = /^\uFEFF?\s*\{/;

/** Read, parse and validate a library file (YAML, or JSON for large generated libraries). */
export async function loadRumorLibrary(file: string): Promise<RumorEntry[]> {
  return (await loadRumorFile(file)).entries;
}

/** Read, parse and validate a library file with its settings. */
export async function loadRumorFile(file: string): Promise<{ entries: RumorEntry[]; settings: RumorSettings }> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new RumorLibraryError(`${file}: cannot read library: ${(err as Error).message}`);
  }
  const decoded = decodeConfigFile(bytes, file);
  if (!decoded.ok) throw new RumorLibraryError(`${file}: ${decoded.problem}`);
  return parseRumorFile(decoded.text, file);
}

/** Lookup of entries by id. */
export type RumorIndex = ReadonlyMap<string, RumorEntry>;

/** Build an id → entry index. Later entries with the same id replace earlier ones. */
export function indexRumors(entries: readonly RumorEntry[]): RumorIndex {
  return new Map(entries.map((entry) => [entry.id, entry]));
}
