/** Shared set-up of the series tests: the demo config with a series.yaml, and local times. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { loadConfig } from '../../src/config/load.ts'
import type { CascadeConfig } from '../../src/config/types.ts'
import { ROOT } from '../helpers.ts'

/** The demo config with `seriesYaml` as config/series.yaml (read by the real loader). */
export async function configWithSeries(seriesYaml: string): Promise<CascadeConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-series-'))
  for (const f of fs.readdirSync(path.join(ROOT, 'config'))) fs.copyFileSync(path.join(ROOT, 'config', f), path.join(dir, f))
  fs.writeFileSync(path.join(dir, 'series.yaml'), seriesYaml)
  try {
    return await loadConfig({ configDir: dir, botsDir: path.join(ROOT, 'bots') })
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export const MONTH_FIXTURE = path.join(ROOT, 'test/fixtures/series-month.yaml')

/** Epoch ms of day `d` of December 2026 at hh:mm Beijing time. */
export function bj(d: number, hh: number, mm = 0): number { return Date.UTC(2026, 11, d, hh - 8, mm) }
