import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Bar } from 'vue-chartjs'
import { fakeServer, held } from '../../api/__tests__/fakeServer'
import DashboardView from '../DashboardView.vue'

// jsdom has no canvas: the charts are left out, the numbers beside them are what is checked
vi.mock('vue-chartjs', () => ({ Bar: { props: ['data', 'options'], render: () => null }, Pie: { render: () => null } }))

const summaryOf = (people) => ({ total: people, counts: { mask: people, no_mask: 0, incorrect: 0, unknown: 0 } })
const SOURCES = [{ id: 1, kind: 'webcam', name: 'Front door' }, { id: 2, kind: 'webcam', name: 'Side door' }]

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => vi.unstubAllGlobals())

describe('DashboardView', () => {
  it('shows the answer to the newest filter when an older one arrives after it', async () => {
    const front = held()
    const server = fakeServer({
      'GET /api/sources': [200, SOURCES],
      'GET /api/stats/hourly': [200, { hours: [] }],
      'GET /api/stats/summary': ({ url }) => {
        const source = new URL(url, 'http://x').searchParams.get('source_id')
        if (source === '1') return front.promise.then(() => [200, summaryOf(99)])
        return [200, summaryOf(source === '2' ? 5 : 1)]
      },
    })
    vi.stubGlobal('fetch', server.fetch)
    const wrapper = mount(DashboardView)
    await flushPromises()
    const people = () => wrapper.find('[data-testid="dashboard-totals"] [data-count="people"]').text()
    expect(people()).toBe('1')

    await wrapper.find('[data-testid="filter-source"]').setValue('1') // this answer is slow
    await wrapper.find('[data-testid="filter-source"]').setValue('2')
    await flushPromises()
    expect(people()).toBe('5')
    front.release()
    await flushPromises()
    expect(people()).toBe('5') // the slow answer for "Front door" came last and is not shown
    wrapper.unmount()
  })

  it('draws one stacked bar per hour with each count in its own hour', async () => {
    const hour = (h, counts = {}) => ({
      hour: `2026-11-23T${String(h).padStart(2, '0')}:00:00+01:00`,
      mask: 0, no_mask: 0, incorrect: 0, unknown: 0, ...counts,
    })
    const hours = Array.from({ length: 24 }, (_, h) => hour(h, h === 6 ? { mask: 2, no_mask: 1 } : {}))
    vi.stubGlobal('fetch', fakeServer({
      'GET /api/sources': [200, SOURCES],
      'GET /api/stats/hourly': [200, { hours }],
      'GET /api/stats/summary': [200, summaryOf(3)],
    }).fetch)
    const wrapper = mount(DashboardView)
    await flushPromises()
    const chart = wrapper.findComponent(Bar)
    const { labels, datasets } = chart.props('data')
    expect(labels).toHaveLength(24)
    const perHour = labels.map((_, i) => datasets.reduce((sum, d) => sum + d.data[i], 0))
    expect(perHour[6]).toBe(3) // the 06:xx people are in the 06:00 bar ...
    expect(perHour.filter((n) => n > 0)).toEqual([3]) // ... and in no other
    expect(labels[6]).toBe('06:00')
    expect(chart.props('options').scales.x.stacked).toBe(true)
    wrapper.unmount()
  })

  it('links the CSV export with the browser time zone', async () => {
    vi.stubGlobal('fetch', fakeServer({
      'GET /api/sources': [200, SOURCES],
      'GET /api/stats/hourly': [200, { hours: [] }],
      'GET /api/stats/summary': [200, summaryOf(0)],
    }).fetch)
    const wrapper = mount(DashboardView)
    await flushPromises()
    const href = new URL(wrapper.find('[data-testid="csv-link"]').attributes('href'), 'http://x')
    expect(href.searchParams.get('tz')).toBe(Intl.DateTimeFormat().resolvedOptions().timeZone)
    wrapper.unmount()
  })
})
