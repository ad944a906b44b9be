import { describe, expect, it } from 'vitest'
import { changeCounter, latestOnly } from '../freshness'

describe('changeCounter', () => {
  it('returns the first answer when nothing changed meanwhile', async () => {
    const changes = changeCounter()
    let calls = 0
    expect(await changes.settled(async () => ++calls)).toBe(1)
    expect(calls).toBe(1)
  })

  it('asks again when a change was noted while the answer was on its way', async () => {
    const changes = changeCounter()
    let calls = 0
    const value = await changes.settled(async () => {
      calls += 1
      if (calls === 1) changes.note()
      return calls
    })
    expect(value).toBe(2)
  })
})

describe('latestOnly', () => {
  it('lets only the newest of several loads show its answer', () => {
    const loads = latestOnly()
    const first = loads.begin()
    expect(first()).toBe(true)
    const second = loads.begin()
    expect(first()).toBe(false)
    expect(second()).toBe(true)
  })
})
