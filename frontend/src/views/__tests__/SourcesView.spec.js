import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeServer } from '../../api/__tests__/fakeServer'
import SourcesView from '../SourcesView.vue'

const SOURCES = [
  { id: 1, kind: 'webcam', name: 'Front door', has_url: false, created_at: '2026-11-23T08:00:00.000Z' },
  { id: 2, kind: 'camera', name: 'Back door', has_url: true, created_at: '2026-11-23T08:00:00.000Z' },
]
const SUMMARIES = {
  1: { total: 10, counts: { mask: 6, no_mask: 2, incorrect: 1, unknown: 1 } },
  2: { total: 0, counts: { mask: 0, no_mask: 0, incorrect: 0, unknown: 0 } },
}

function server(overrides = {}) {
  const calls = []
  let camera = { state: 'failed', error: 'connection refused', enabled: false }
  const fake = fakeServer({
    'GET /api/sources': [200, SOURCES],
    'GET /api/stats/summary': ({ url }) => [200, SUMMARIES[new URL(url, 'http://x').searchParams.get('source_id')]],
    'GET /api/cameras': () => [200, [{ id: 2, name: 'Back door', camera }]],
    'POST /api/cameras/2/start': () => {
      calls.push('start')
      camera = { state: 'connected', error: null, enabled: true }
      return [200, { id: 2, camera: { state: 'starting', error: null, enabled: true } }]
    },
    'POST /api/cameras/2/stop': () => {
      calls.push('stop')
      camera = { state: 'stopped', error: null, enabled: false }
      // the worker has not let go yet when the answer leaves: the page asks again
      return [200, { id: 2, camera: { state: 'connected', error: null, enabled: false } }]
    },
    ...overrides,
  })
  return { fetch: fake.fetch, calls }
}

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
})

const card = (wrapper, name) => wrapper.findAll('[data-testid="source-row"]').find((c) => c.text().includes(name))

describe('SourcesView', () => {
  it('shows every verdict with the unknown people, so the counts add up to the people', async () => {
    vi.stubGlobal('fetch', server().fetch)
    const wrapper = mount(SourcesView)
    await flushPromises()
    const front = card(wrapper, 'Front door')
    const count = (name) => Number(front.find(`[data-count="${name}"]`).text())
    expect(count('people')).toBe(10)
    expect(count('mask') + count('no_mask') + count('incorrect') + count('unknown')).toBe(10)
    expect(count('unknown')).toBe(1)
    expect(front.find('[data-testid="camera-controls"]').exists()).toBe(false) // a webcam has no server-side reader
    wrapper.unmount()
  })

  it("shows a camera's state and reason with Start and Stop beside it", async () => {
    const fake = server()
    vi.stubGlobal('fetch', fake.fetch)
    const wrapper = mount(SourcesView)
    await flushPromises()
    const back = () => card(wrapper, 'Back door')
    const button = (label) => back().find(`button[aria-label="${label} Back door"]`)
    expect(back().find('[data-testid="camera-state"]').text()).toBe('Failed')
    expect(back().find('[data-testid="camera-error"]').text()).toBe('connection refused')
    expect(button('Stop').attributes('disabled')).toBeDefined()

    vi.useFakeTimers()
    await button('Start').trigger('click')
    await flushPromises()
    expect(fake.calls).toEqual(['start'])
    expect(back().find('[data-testid="camera-state"]').text()).toBe('Starting…') // the answer, then asked again
    await vi.advanceTimersByTimeAsync(1000)
    await flushPromises()
    expect(back().find('[data-testid="camera-state"]').text()).toBe('Connected')
    expect(button('Start').attributes('disabled')).toBeDefined()

    await button('Stop').trigger('click')
    await flushPromises()
    expect(fake.calls).toEqual(['start', 'stop'])
    expect(back().find('[data-testid="camera-state"]').text()).toBe('Connected') // still reading, for a moment
    await vi.advanceTimersByTimeAsync(1000)
    await flushPromises()
    expect(back().find('[data-testid="camera-state"]').text()).toBe('Stopped')
    expect(button('Start').attributes('disabled')).toBeUndefined()
    wrapper.unmount()
  })

  it('leaves the camera controls out when the cameras cannot be listed', async () => {
    vi.stubGlobal('fetch', server({ 'GET /api/cameras': [403, { error: 'forbidden', message: 'admins only' }] }).fetch)
    const wrapper = mount(SourcesView)
    await flushPromises()
    expect(card(wrapper, 'Back door').find('[data-testid="camera-controls"]').exists()).toBe(false)
    expect(wrapper.find('[role="alert"]').exists()).toBe(false)
    wrapper.unmount()
  })
})
