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

const CAMERAS = [{ id: 3, name: 'Back door', url_masked: 'rtsp://***@door/stream', camera: { state: 'stopped', error: null } }]

enableAutoUnmount(afterEach) // the page's frame loop and socket end with it

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  localStorage.clear()
  vi.stubGlobal('isSecureContext', true)
  // jsdom plays no video
  vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined)
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  setCsrfToken(null)
})

function fakeStream() {
  const track = { stop: vi.fn(), addEventListener: vi.fn() }
  return { track, getTracks: () => [track], getVideoTracks: () => [track] }
}

/** /live in the app's router, as the browser would open it; the webcam gives `stream`. */
async function webcamPage({ me = ME_SIGNED_IN, camerasAnswer = [200, CAMERAS] } = {}) {
  const server = fakeServer({ 'GET /api/auth/me': [200, me], 'GET /api/cameras': camerasAnswer })
  vi.stubGlobal('fetch', server.fetch)
  const stream = fakeStream()
  vi.stubGlobal('navigator', { mediaDevices: { getUserMedia: vi.fn(async () => stream) } })
  const socket = fakeSocket()
  connectLive.mockReset().mockReturnValue(socket)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/live')
  const wrapper = mount({ render: () => h(RouterView) }, { global: { plugins: [pinia, router] } })
  await flushPromises()
  return { wrapper, router, server, socket, stream }
}

const byTestId = (wrapper, id) => wrapper.find(`[data-testid="${id}"]`)

async function startCamera(wrapper, name = 'Front door') {
  await wrapper.find('#source-name').setValue(name)
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

describe('WebcamView', () => {
  it('starts the webcam under the name given, shows the connection and alerts, and Stop lets go', async () => {
    const { wrapper, socket, stream } = await webcamPage()
    expect(byTestId(wrapper, 'insecure-warning').exists()).toBe(false)
    expect(byTestId(wrapper, 'live-toggle').text()).toBe('Start camera')
    await startCamera(wrapper)
    expect(connectLive).toHaveBeenCalledWith({ name: 'Front door' })
    expect(byTestId(wrapper, 'connection').text()).toBe('Connecting…')
    socket.fire('connect')
    socket.fire('alert', { verdict: 'no_mask', message: 'Please wear a mask.', track_id: 1 })
    await flushPromises()
    const badge = byTestId(wrapper, 'connection')
    expect(badge.text()).toBe('Connected')
    expect(badge.classes()).toContain('text-bg-success')
    expect(byTestId(wrapper, 'alert-banner').text()).toMatch(/No mask: Please wear a mask\./)
    expect(wrapper.text()).toContain('1 alert')

    socket.fire('disconnect', 'transport close')
    await flushPromises()
    expect(byTestId(wrapper, 'connection').text()).toBe('Reconnecting…')
    expect(byTestId(wrapper, 'connection-message').text()).toMatch(/lost/)

    await wrapper.find('form').trigger('submit') // Stop
    await flushPromises()
    expect(socket.disconnect).toHaveBeenCalled()
    expect(stream.track.stop).toHaveBeenCalled()
    expect(byTestId(wrapper, 'live-toggle').text()).toBe('Start camera')
    expect(byTestId(wrapper, 'alert-banner').exists()).toBe(false)
  })

  it('signed in: the picker lists the IP cameras and picking one opens its page', async () => {
    const { wrapper, router } = await webcamPage()
    const picker = byTestId(wrapper, 'source-select')
    expect(picker.findAll('option').map((o) => o.text())).toEqual(["This device's webcam", 'Back door'])
    await picker.setValue('3')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/live/cameras/3')) // its page loads lazily
    await flushPromises()
    expect(byTestId(wrapper, 'live-toggle').exists()).toBe(false)
  })

  it('a public live page with nobody signed in gets the webcam only, without asking for the cameras', async () => {
    const { wrapper, server } = await webcamPage({ me: { ...ME_SIGNED_OUT, public: { live: true, uploads: false } } })
    expect(byTestId(wrapper, 'live-toggle').exists()).toBe(true)
    expect(byTestId(wrapper, 'source-select').exists()).toBe(false)
    expect(server.callsTo('GET /api/cameras')).toHaveLength(0)
  })

  it.each([
    ['no cameras', [200, []]],
    ['no answer about them', [500, { error: 'internal', message: 'boom' }]],
  ])('%s: no picker, and the webcam still works', async (_, camerasAnswer) => {
    const { wrapper } = await webcamPage({ me: ME_OFF, camerasAnswer })
    expect(byTestId(wrapper, 'source-select').exists()).toBe(false)
    expect(byTestId(wrapper, 'live-toggle').attributes('disabled')).toBeUndefined()
  })

  it('a refused connection lets the webcam go and asks for a sign-in that comes back here', async () => {
    const { wrapper, socket, stream } = await webcamPage()
    await startCamera(wrapper)
    socket.active = false
    socket.fire('connect_error', new Error('login_required'))
    await flushPromises()
    const notice = byTestId(wrapper, 'login-needed')
    expect(notice.text()).toMatch(/use the live camera/)
    expect(notice.find('a').attributes('href')).toBe('/login?next=/live')
    expect(stream.track.stop).toHaveBeenCalled()
    expect(byTestId(wrapper, 'live-toggle').text()).toBe('Start camera')
    expect(useAuthStore().signedIn).toBe(false)
  })

  it('an insecure address explains HTTPS and keeps Start disabled', async () => {
    vi.stubGlobal('isSecureContext', false)
    const { wrapper } = await webcamPage({ me: ME_OFF })
    expect(byTestId(wrapper, 'insecure-warning').text()).toMatch(/HTTPS/)
    expect(byTestId(wrapper, 'live-toggle').attributes('disabled')).toBeDefined()
  })

  it('a camera that cannot be had is explained', async () => {
    const { wrapper } = await webcamPage({ me: ME_OFF })
    const denied = Object.assign(new Error('Permission denied'), { name: 'NotAllowedError' })
    navigator.mediaDevices.getUserMedia.mockRejectedValue(denied)
    await startCamera(wrapper)
    const problem = byTestId(wrapper, 'camera-problem')
    expect(problem.attributes('data-kind')).toBe('denied')
    expect(connectLive).not.toHaveBeenCalled()
    expect(byTestId(wrapper, 'live-toggle').text()).toBe('Start camera')
  })
})
