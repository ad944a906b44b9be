import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { fakeServer, ME_OFF } from '../../api/__tests__/fakeServer'
import { createAppRouter } from '../../router'
import LiveSourcePicker from '../LiveSourcePicker.vue'

const CAMERAS = [{ id: 3, name: 'Back door' }, { id: 5, name: 'Yard' }]

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
})
afterEach(() => vi.unstubAllGlobals())

async function picker(path, props) {
  vi.stubGlobal('fetch', fakeServer({ 'GET /api/auth/me': [200, ME_OFF] }).fetch)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const wrapper = mount(LiveSourcePicker, { props, global: { plugins: [pinia, router] } })
  return { wrapper, router }
}

describe('LiveSourcePicker', () => {
  it('offers the webcam and each camera, and picking one goes to its page', async () => {
    const { wrapper, router } = await picker('/live', { cameras: CAMERAS })
    const select = wrapper.find('[data-testid="source-select"]')
    expect(wrapper.findAll('option').map((o) => o.text())).toEqual(["This device's webcam", 'Back door', 'Yard'])
    expect(select.element.value).toBe('')
    await select.setValue('5')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('live-camera')) // its page loads lazily
    expect(router.currentRoute.value.fullPath).toBe('/live/cameras/5')
  })

  it('shows the camera whose page this is, and the webcam goes back to /live', async () => {
    const { wrapper, router } = await picker('/live/cameras/3', { cameras: CAMERAS, cameraId: 3 })
    const select = wrapper.find('[data-testid="source-select"]')
    expect(select.element.value).toBe('3')
    await select.setValue('')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('live'))
  })

  it('is not there without cameras', async () => {
    const { wrapper } = await picker('/live', { cameras: [] })
    expect(wrapper.find('[data-testid="source-select"]').exists()).toBe(false)
  })
})
