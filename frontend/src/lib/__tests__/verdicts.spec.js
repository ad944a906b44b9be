import { describe, expect, it } from 'vitest'
import { complianceRate, countFaces, formatPercent, verdictOf } from '../verdicts'

describe('countFaces', () => {
  it('counts people by verdict, taking verdict over label', () => {
    const faces = [
      { label: 'mask' }, { label: 'no_mask' }, { label: 'no_mask' },
      { label: 'mask', verdict: 'incorrect' }, { label: 'weird' },
    ]
    expect(countFaces(faces)).toEqual({ people: 5, mask: 1, no_mask: 2, incorrect: 1, unknown: 1 })
  })

  it('gives zeros for no faces', () => {
    expect(countFaces(undefined)).toEqual({ people: 0, mask: 0, no_mask: 0, incorrect: 0, unknown: 0 })
  })

  it('reads a person verdict', () => {
    expect(verdictOf({ verdict: 'no_mask', confidence: 0.9 })).toBe('no_mask')
  })
})

describe('complianceRate', () => {
  it('is the share of masked people among those with a known verdict', () => {
    expect(complianceRate({ mask: 3, no_mask: 1, incorrect: 0, unknown: 6 })).toBe(0.75)
  })

  it('is null when nobody has a verdict', () => {
    expect(complianceRate({ mask: 0, no_mask: 0, incorrect: 0, unknown: 2 })).toBeNull()
    expect(formatPercent(null)).toBe('–')
  })

  it('formats as a percentage', () => {
    expect(formatPercent(0.75)).toBe('75.0 %')
    expect(formatPercent(1)).toBe('100 %')
  })
})
