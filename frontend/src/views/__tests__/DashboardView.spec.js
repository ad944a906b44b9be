import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeServer, held } from '../../api/__tests__/fakeServer'
import DashboardView from '../DashboardView.vue'

// jsdom has no canvas: the charts are left out, the numbers beside them are what is checked
vi.mock('vue-chartjs', () => ({ Line: { render: () => null }, Pie: { render: () => null } }))

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
})
