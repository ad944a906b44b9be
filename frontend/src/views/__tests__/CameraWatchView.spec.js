import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { h } from 'vue'
import { createMemoryHistory, RouterView } from 'vue-router'
import { fakeServer, ME_OFF, ME_SIGNED_IN, ME_SIGNED_OUT } from '../../api/__tests__/fakeServer'
import { fakeSocket } from '../../api/__tests__/fakeSocket'
import { setCsrfToken } from '../../api/http'
import { connectLive } from '../../api/live'
import { createAppRouter } from '../../router'
import { useAuthStore } from '../../stores/auth'

vi.mock('../../api/live', async (original) => ({ ...(await original()), connectLive: vi.fn() }))

const camera = (id, name, state = 'stopped') => ({ id, name, url_masked: `rtsp://***@${name}/stream`, camera: { state, error: null } })
const CAMERAS = [camera(3, 'door'), camera(5, 'yard')]
const jpeg = () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9])

enableAutoUnmount(afterEach) // the page's socket ends with it

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  localStorage.clear()
  let n = 0
  vi.stubGlobal('URL', Object.assign(class extends URL {}, { createObjectURL: vi.fn(() => `blob:${++n}`), revokeObjectURL: vi.fn() }))
})
afterEach(() => {
  vi.unstubAllGlobals()
  setCsrfToken(null)
})

/** `path` in the app's router; every socket the page opens answers a watch with the camera's state. */
async function cameraPage(path = '/live/cameras/3', { me = ME_SIGNED_IN, camerasAnswer = [200, CAMERAS] } = {}) {
  const server = fakeServer({
    'GET /api/auth/me': [200, me],
    'GET /api/cameras': camerasAnswer,
    'POST /api/cameras/3/start': [200, camera(3, 'door', 'starting')],
    'POST /api/cameras/3/stop': [200, camera(3, 'door', 'stopped')],
  })
  vi.stubGlobal('fetch', server.fetch)
  const sockets = []
  connectLive.mockReset().mockImplementation(() => {
    const s = fakeSocket()
    s.ack = (event, data) => ({ camera_id: data.camera_id, camera: { state: 'stopped', error: null } })
    sockets.push(s)
    return s
  })
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const wrapper = mount({ render: () => h(RouterView) }, { global: { plugins: [pinia, router] } })
  await flushPromises()
  return { wrapper, router, server, sockets }
}

const byTestId = (wrapper, id) => wrapper.find(`[data-testid="${id}"]`)

describe('CameraWatchView', () => {
  it('watches the camera of its address; Start, its frames with boxes and counts, an alert, Stop', async () => {
    const { wrapper, server, sockets } = await cameraPage()
    expect(connectLive).toHaveBeenCalledWith({ sourceId: 3 })
    const s = sockets[0]
    s.fire('connect')
    await flushPromises()
    expect(s.emitted).toEqual([['watch', { camera_id: 3 }]])
    expect(byTestId(wrapper, 'source-select').element.value).toBe('3')
    expect(byTestId(wrapper, 'camera-url').text()).toBe('rtsp://***@door/stream')
    expect(byTestId(wrapper, 'camera-state').text()).toBe('Stopped')
    expect(byTestId(wrapper, 'camera-waiting').text()).toBe('Press Start to read this camera.')
    expect(byTestId(wrapper, 'camera-stop').attributes('disabled')).toBeDefined()

    await byTestId(wrapper, 'camera-start').trigger('click')
    await flushPromises()
    expect(server.callsTo('POST /api/cameras/3/start')).toHaveLength(1)
    expect(byTestId(wrapper, 'camera-state').text()).toBe('Starting…')
    expect(byTestId(wrapper, 'camera-start').attributes('disabled')).toBeDefined()

    const face = { box: [10, 10, 60, 70], verdict: 'no_mask', score: 0.9, track_id: 1 }
    s.fire('camera', { camera_id: 3, faces: [face], counts: { no_mask: 1, people: 1 }, width: 320, height: 240, ms: 12, image: jpeg() })
    s.fire('alert', { camera_id: 3, verdict: 'no_mask', message: 'Please wear a mask.' })
    s.fire('alert', { camera_id: 5, verdict: 'no_mask', message: 'another camera' })
    await flushPromises()
    const state = byTestId(wrapper, 'camera-state')
    expect(state.text()).toBe('Connected')
    expect(state.classes()).toContain('text-bg-success')
    expect(byTestId(wrapper, 'camera-image').attributes('src')).toBe('blob:1')
    expect(wrapper.findAll('svg .face-box[data-verdict="no_mask"]')).toHaveLength(1)
    expect(wrapper.find('[data-count="no_mask"]').text()).toBe('1')
    expect(byTestId(wrapper, 'alert-banner').text()).toMatch(/Please wear a mask/)
    expect(wrapper.text()).toContain('1 alert')

    s.fire('camera_state', { camera_id: 3, state: 'retrying', error: 'the stream ended' })
    await flushPromises()
    expect(byTestId(wrapper, 'camera-state').text()).toBe('Retrying…')
    expect(byTestId(wrapper, 'camera-error').text()).toBe('The camera is retrying: the stream ended')

    await byTestId(wrapper, 'camera-stop').trigger('click')
    await flushPromises()
    expect(server.callsTo('POST /api/cameras/3/stop')).toHaveLength(1)
    expect(byTestId(wrapper, 'camera-state').text()).toBe('Stopped')
  })

  it('another camera from the picker: the page leaves the first one and watches the next', async () => {
    const { wrapper, router, sockets } = await cameraPage()
    sockets[0].fire('connect')
    await byTestId(wrapper, 'source-select').setValue('5')
    await flushPromises()
    expect(router.currentRoute.value.fullPath).toBe('/live/cameras/5')
    expect(sockets[0].emitted).toContainEqual(['unwatch', { camera_id: 3 }])
    expect(sockets[0].disconnect).toHaveBeenCalled()
    expect(connectLive).toHaveBeenLastCalledWith({ sourceId: 5 })
    expect(byTestId(wrapper, 'camera-url').text()).toBe('rtsp://***@yard/stream')
  })

  it('the webcam from the picker: the camera page goes, and its socket with it', async () => {
    const { wrapper, router, sockets } = await cameraPage()
    await byTestId(wrapper, 'source-select').setValue('')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('live')) // its page loads lazily
    await flushPromises()
    expect(sockets[0].disconnect).toHaveBeenCalled()
    expect(byTestId(wrapper, 'live-toggle').exists()).toBe(true)
  })

  it('a camera the server does not list is said so, and not watched', async () => {
    const { wrapper } = await cameraPage('/live/cameras/9')
    expect(byTestId(wrapper, 'camera-missing').text()).toMatch(/no IP camera 9/)
    expect(byTestId(wrapper, 'camera-start').exists()).toBe(false)
    expect(connectLive).not.toHaveBeenCalled()
  })

  it('a list that could not be had is said so', async () => {
    const { wrapper } = await cameraPage('/live/cameras/3', { me: ME_OFF, camerasAnswer: [500, { error: 'internal', message: 'boom' }] })
    expect(byTestId(wrapper, 'cameras-error').text()).toMatch(/boom/)
    expect(byTestId(wrapper, 'camera-missing').exists()).toBe(false)
    expect(connectLive).not.toHaveBeenCalled()
  })

  it('a refused connection asks for a sign-in that comes back to this camera', async () => {
    const { wrapper, sockets } = await cameraPage()
    sockets[0].fire('connect_error', new Error('login_required'))
    await flushPromises()
    const notice = byTestId(wrapper, 'login-needed')
    expect(notice.text()).toMatch(/watch its cameras/)
    expect(notice.find('a').attributes('href')).toBe('/login?next=/live/cameras/3')
    expect(useAuthStore().signedIn).toBe(false)
  })

  it('needs a sign-in even when the webcam page is public', async () => {
    const { router } = await cameraPage('/live/cameras/3', { me: { ...ME_SIGNED_OUT, public: { live: true, uploads: false } } })
    expect(router.currentRoute.value.name).toBe('login')
    expect(router.currentRoute.value.query.next).toBe('/live/cameras/3')
  })
})
