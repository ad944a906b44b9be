import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { fakeServer, ME_OFF, ME_SIGNED_IN, ME_SIGNED_OUT } from '../../api/__tests__/fakeServer'
import { request, setCsrfToken } from '../../api/http'
import { createAppRouter } from '../index'

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  setCsrfToken(null)
})

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

async function appAt(me, path, routes = {}) {
  const server = fakeServer({ 'GET /api/auth/me': [200, me], ...routes })
  vi.stubGlobal('fetch', server.fetch)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  return { router, server }
}

const here = (router) => router.currentRoute.value

describe('the router guard', () => {
  it('auth on, nobody signed in: a protected page goes to the login page and keeps the way back', async () => {
    const { router } = await appAt(ME_SIGNED_OUT, '/dashboard')
    expect(here(router).name).toBe('login')
    expect(here(router).query.next).toBe('/dashboard')
    await router.push('/')
    expect(here(router).fullPath).toBe('/login?next=/upload')
  })

  it('auth off: every page opens and /login sends you on', async () => {
    const { router, server } = await appAt(ME_OFF, '/sources')
    expect(here(router).name).toBe('sources')
    await router.push('/login?next=/dashboard')
    expect(here(router).name).toBe('dashboard')
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(1) // asked once, before the first page
  })

  it('public live: /live opens without a sign-in, the dashboard does not', async () => {
    const { router } = await appAt({ ...ME_SIGNED_OUT, public: { live: true, uploads: false } }, '/live')
    expect(here(router).name).toBe('live')
    await router.push('/dashboard')
    expect(here(router).name).toBe('login')
  })

  it('an IP camera has its own page under /live, with the id as a number; anything else there is not found', async () => {
    const { router } = await appAt(ME_SIGNED_IN, '/live/cameras/3')
    expect(here(router).name).toBe('live-camera')
    expect(here(router).matched[0].props.default(here(router))).toEqual({ cameraId: 3 })
    expect(router.resolve({ name: 'live-camera', params: { id: 5 } }).fullPath).toBe('/live/cameras/5')
    await router.push('/live/cameras/door')
    expect(here(router).name).toBe('not-found')
  })

  it('signed in: protected pages open', async () => {
    const { router } = await appAt(ME_SIGNED_IN, '/settings')
    expect(here(router).name).toBe('settings')
  })
})

describe('a 401 login_required answer', () => {
  const refused = [401, { error: 'login_required', message: 'sign in first' }]

  it('sends a protected page to the login page with a next back to it', async () => {
    const { router } = await appAt(ME_SIGNED_IN, '/sources?x=1', { 'GET /api/sources': refused })
    expect(here(router).name).toBe('sources')
    await expect(request('/api/sources')).rejects.toMatchObject({ code: 'login_required' })
    await flush()
    expect(here(router).name).toBe('login')
    expect(here(router).query.next).toBe('/sources?x=1')
  })

  it('leaves the login page and open pages where they are', async () => {
    const { router } = await appAt({ ...ME_SIGNED_OUT, public: { live: true, uploads: false } }, '/live',
      { 'GET /api/cameras': refused })
    await request('/api/cameras').catch(() => {})
    await flush()
    expect(here(router).fullPath).toBe('/live')
    await router.push('/login?next=/dashboard')
    await request('/api/cameras').catch(() => {})
    await flush()
    expect(here(router).fullPath).toBe('/login?next=/dashboard')
  })

  it('turns auth on when the page had thought it off (the server got an account since)', async () => {
    const { router } = await appAt(ME_OFF, '/dashboard', { 'GET /api/stats/summary': refused })
    await request('/api/stats/summary').catch(() => {})
    await flush()
    expect(here(router).name).toBe('login')
  })
})
