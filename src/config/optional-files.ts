/**
 * What `cascade validate` says beyond "valid": which optional features a config turns on, which
 * run on built-in defaults, and which files in the config directory nothing reads (a misnamed
 * `case.yaml` would otherwise switch the cases feature off without a word).
 */
import { existsSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { displayPath, didYouMean } from './yaml-source.ts'
import type { CascadeConfig } from './types.ts'

/** Every file of the config directory that Cascade reads, with what it is for. */
export const CONFIG_FILES: Record<string, string> = {
  'network.yaml': 'the tree of nodes (required)',
  'people.yaml': 'people who hold a role (required)',
  'templates.yaml': 'the chat texts (required)',
  'policies.yaml': 'approval policies (optional: built-in defaults otherwise)',
  'cases.yaml': 'the response mechanism 举报/求助 (optional: off otherwise)',
  'households.yaml': 'grids and households (optional: coverage off otherwise)',
  'rumors.yaml': 'the rumor library (optional: rumor rebuttal off otherwise)',
  'rumor-model.json': "the rumor matcher's trained decision model",
  'series.yaml': 'recurring bulletins and inbox feeds (optional: none otherwise)',
  'province.yaml': 'the province that hands notices down, and its districts (optional)',
}

export interface FeatureLine {
  name: string
  state: 'on' | 'defaults' | 'off'
  /** Where it comes from, or how to turn it on. */
  detail: string
}

/** The optional features of a valid config, one line each, in a fixed order. */
export function describeFeatures(cfg: CascadeConfig, rumorEntries?: number): FeatureLine[] {
  const file = (name: string) => displayPath(path.join(cfg.configDir, name))
  return [
    existsSync(path.join(cfg.configDir, 'policies.yaml'))
      ? { name: 'approval policies', state: 'on', detail: `from ${file('policies.yaml')}` }
      : { name: 'approval policies', state: 'defaults', detail: `built-in (remind, escalate, auto-forward per severity); no ${file('policies.yaml')}` },
    cfg.cases
      ? { name: 'cases', state: 'on', detail: `举报/求助 handled, from ${file('cases.yaml')}` }
      : { name: 'cases', state: 'off', detail: `no ${file('cases.yaml')}: 举报/求助 are not handled (docs/CASES.md)` },
    cfg.households
      ? { name: 'coverage', state: 'on', detail: `from ${file('households.yaml')}` }
      : { name: 'coverage', state: 'off', detail: `no ${file('households.yaml')}: no grids nor household coverage (docs/COVERAGE.md)` },
    cfg.series
      ? { name: 'series', state: 'on', detail: `${cfg.series.series.length} series, ${cfg.series.feeds.length} inbox feeds, from ${file('series.yaml')}` }
      : { name: 'series', state: 'off', detail: `no ${file('series.yaml')}: no recurring bulletins nor inbox feeds (docs/SERIES.md)` },
    cfg.province
      ? { name: 'province', state: 'on', detail: `notices handed down by ${cfg.province.name} (${cfg.province.districts.length} districts), from ${file('province.yaml')}` }
      : { name: 'province', state: 'off', detail: `no ${file('province.yaml')}: no notices handed down from a province (docs/PROVINCE.md)` },
    rumorEntries === undefined
      ? { name: 'rumor rebuttal', state: 'off', detail: `no ${file('rumors.yaml')}: rumors are not answered (docs/RUMORS.md)` }
      : rumorEntries === 0
        ? { name: 'rumor rebuttal', state: 'off', detail: `${file('rumors.yaml')} has no entries: rumors are not answered` }
        : { name: 'rumor rebuttal', state: cfg.rumors?.cooldownSeconds === undefined ? 'defaults' : 'on', detail: `${rumorEntries} entries from ${file('rumors.yaml')}${cfg.rumors?.cooldownSeconds === undefined ? '; reply cooldown built-in (6 h)' : ''}` },
  ]
}

/** Files of the config directory that nothing reads, each with the likely name it was meant to have. */
export function unknownConfigFiles(configDir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(configDir, { withFileTypes: true }).filter((d) => d.isFile() && !d.name.startsWith('.')).map((d) => d.name)
  } catch {
    return []
  }
  const known = Object.keys(CONFIG_FILES)
  return names.filter((n) => !Object.hasOwn(CONFIG_FILES, n)).sort()
    .map((n) => `${n}${didYouMean(n.replace(/\.yml$/, '.yaml'), known)}`)
}
