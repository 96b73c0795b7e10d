import { describe, expect, it } from 'vitest'
import { importCircles, longFiles } from '../scripts/house-rules.ts'

describe('the source tree', () => {
  it('has no import circle in src/', () => {
    expect(importCircles()).toEqual([])
  })
  it('has no file in src/ over the line limit, except those named with their reason', () => {
    expect(longFiles()).toEqual([])
  })
})
