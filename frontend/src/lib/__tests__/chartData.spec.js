import { describe, expect, it } from 'vitest'
import { chartRows, dailyChartData, dayLabel, hourlyChartData, localMidnightIso, pieChartData } from '../chartData'

const hours = [
  { hour: '2026-11-23T00:00:00+01:00', total: 0, mask: 0, no_mask: 0, incorrect: 0, unknown: 0 },
  { hour: '2026-11-23T01:00:00+01:00', total: 3, mask: 2, no_mask: 1, incorrect: 0, unknown: 0 },
  { hour: '2026-11-23T02:00:00+01:00', total: 1, mask: 0, no_mask: 0, incorrect: 1, unknown: 0 },
]

describe('hourlyChartData', () => {
  it('labels hours in the server-given local time and gives one stacked bar segment per verdict', () => {
    const data = hourlyChartData(hours)
    expect(data.labels).toEqual(['00:00', '01:00', '02:00'])
    expect(new Set(data.datasets.map((d) => d.stack))).toEqual(new Set(['people']))
    expect(data.datasets.some((d) => 'fill' in d || 'cubicInterpolationMode' in d)).toBe(false)
    expect(data.datasets.map((d) => d.label)).toEqual(['Mask', 'No mask', 'Mask worn incorrectly', 'Unknown'])
    expect(data.datasets[0].data).toEqual([0, 2, 0])
    expect(data.datasets[1].data).toEqual([0, 1, 0])
    expect(data.datasets[2].data).toEqual([0, 0, 1])
    expect(data.datasets[3].data).toEqual([0, 0, 0])
  })
})

describe('chartRows', () => {
  it('gives each bar its label, its segments and their total', () => {
    expect(chartRows(hourlyChartData(hours))).toEqual([
      { label: '00:00', values: [0, 0, 0, 0], total: 0 },
      { label: '01:00', values: [2, 1, 0, 0], total: 3 },
      { label: '02:00', values: [0, 0, 1, 0], total: 1 },
    ])
    expect(chartRows(null)).toEqual([])
  })
})

describe('dailyChartData', () => {
  it('labels days without shifting them through a time zone', () => {
    const data = dailyChartData([
      { date: '2026-11-22', total: 1, mask: 1, no_mask: 0, incorrect: 0, unknown: 0 },
      { date: '2026-11-23', total: 2, mask: 0, no_mask: 2, incorrect: 0, unknown: 0 },
    ])
    expect(data.labels).toEqual([dayLabel('2026-11-22'), dayLabel('2026-11-23')])
    expect(dayLabel('2026-11-23')).toBe('Mon 23 Nov')
    expect(data.datasets[1].data).toEqual([0, 2])
  })
})

describe('pieChartData', () => {
  it('leaves out verdicts nobody had and keeps colours with their verdicts', () => {
    const data = pieChartData({ mask: 4, no_mask: 0, incorrect: 1, unknown: 2 })
    expect(data.labels).toEqual(['Mask', 'Mask worn incorrectly', 'Unknown'])
    expect(data.datasets[0].data).toEqual([4, 1, 2])
    expect(data.datasets[0].backgroundColor).toEqual(['#198754', '#fd7e14', '#6c757d'])
  })

  it('is empty without counts', () => {
    expect(pieChartData(undefined).labels).toEqual([])
  })
})

describe('localMidnightIso', () => {
  it('is the instant of local midnight, a day later on request', () => {
    const start = new Date(localMidnightIso('2026-11-23'))
    const end = new Date(localMidnightIso('2026-11-23', 1))
    expect([start.getFullYear(), start.getMonth(), start.getDate(), start.getHours()]).toEqual([2026, 10, 23, 0])
    expect(end.getDate()).toBe(24)
  })
})
