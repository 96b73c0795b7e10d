import { describe, expect, it } from 'vitest'
import { spreadOverMasters, type SlotRange } from '../../bench/fanout/slot-spread.ts'

const ranges: SlotRange[] = [
  [0, 5460, ['127.0.0.1', 7200, 'id-a'], ['127.0.0.1', 7204, 'id-e']],
  [10923, 16383, ['127.0.0.1', 7202, 'id-c'], ['127.0.0.1', 7203, 'id-d']],
  [5461, 10922, ['127.0.0.1', 7201, 'id-b'], ['127.0.0.1', 7205, 'id-f']],
]

describe('spreadOverMasters', () => {
  it('puts each district under the master whose range holds its slot, masters in port order', () => {
    const spread = spreadOverMasters(new Map([['d01', 5460], ['d02', 5461], ['d03', 16383], ['d04', 0]]), ranges)
    expect(spread.map(s => s.master)).toEqual(['127.0.0.1:7200', '127.0.0.1:7201', '127.0.0.1:7202'])
    expect(spread.map(s => s.districts.map(d => d.name))).toEqual([['d01', 'd04'], ['d02'], ['d03']])
    expect(spread.map(s => s.slots)).toEqual([5461, 5462, 5461])
  })

  it('lists a master with no district, and a slot no range covers under "none"', () => {
    const spread = spreadOverMasters(new Map([['d01', 100], ['lost', 20000]]), ranges)
    expect(spread.find(s => s.master === '127.0.0.1:7201')?.districts).toEqual([])
    expect(spread.at(-1)).toEqual({ master: 'none', slots: 0, districts: [{ name: 'lost', slot: 20000 }] })
  })

  it('adds up the slots of a master serving several ranges', () => {
    const split: SlotRange[] = [[0, 99, ['h', 1]], [200, 299, ['h', 1]], [100, 199, ['h', 2]]]
    expect(spreadOverMasters(new Map(), split).map(s => [s.master, s.slots])).toEqual([['h:1', 200], ['h:2', 100]])
  })
})
