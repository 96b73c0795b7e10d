import { describe, expect, it } from 'vitest'
import { beijingDay, chatBudgetOf, chatPerContactOf } from '../../src/domain/limits.ts'

describe('the per-contact slice of the chat share', () => {
  it('is 5 % of chat by default, at least 3, at most the chat share; bots/*.yaml may set it', () => {
    expect(chatPerContactOf({ dailyBudget: 5000 })).toBe(50) // chat 1000
    expect(chatPerContactOf({ dailyBudget: 200, chatBudget: 60 })).toBe(3)
    expect(chatPerContactOf({ dailyBudget: 10 })).toBe(2) // chat share 2: never more than it
    expect(chatPerContactOf({ dailyBudget: 5000, chatPerContact: 8 })).toBe(8)
    expect(chatPerContactOf({ dailyBudget: 100, chatBudget: 4, chatPerContact: 10 })).toBe(chatBudgetOf({ dailyBudget: 100, chatBudget: 4 }))
  })

  it('counts on the Beijing day', () => {
    expect(beijingDay(Date.UTC(2026, 0, 1, 15, 59))).toBe('2026-01-01')
    expect(beijingDay(Date.UTC(2026, 0, 1, 16, 0))).toBe('2026-01-02')
  })
})
