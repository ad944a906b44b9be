import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { fakeServer, ME_OFF, ME_SIGNED_IN, ME_SIGNED_OUT } from '../../api/__tests__/fakeServer'
import { setCsrfToken } from '../../api/http'
import { createAppRouter } from '../../router'
import AppNavbar from '../AppNavbar.vue'
import AppOpenAccessNotice from '../AppOpenAccessNotice.vue'

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
  sessionStorage.clear()
})
afterEach(() => {
  vi.unstubAllGlobals()
  setCsrfToken(null)
})

async function mounted(component, me, path, routes = {}) {
  const server = fakeServer({ 'GET /api/auth/me': [200, me], ...routes })
  vi.stubGlobal('fetch', server.fetch)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const wrapper = mount(component, { global: { plugins: [pinia, router] } })
  await flushPromises()
  return { wrapper, router, server }
}

const signInLink = (wrapper) => wrapper.findAll('a').find((a) => a.text() === 'Sign in')

describe('AppNavbar', () => {
  it('signed in: the user name and Sign out, which ends the session and goes to the login page', async () => {
    let signedIn = true
    const { wrapper, router, server } = await mounted(AppNavbar, ME_SIGNED_IN, '/dashboard', {
      'GET /api/auth/me': () => [200, signedIn ? ME_SIGNED_IN : ME_SIGNED_OUT],
      'POST /api/auth/logout': () => { signedIn = false; return [204] },
    })
    expect(wrapper.find('[data-testid="signed-in-user"]').text()).toBe('admin')
    expect(signInLink(wrapper)).toBeUndefined()
    await wrapper.findAll('button').find((b) => b.text() === 'Sign out').trigger('click')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('login'))
    expect(server.callsTo('POST /api/auth/logout')[0].headers['X-CSRF-Token']).toBe('csrf-1')
    expect(wrapper.find('[data-testid="signed-in-user"]').exists()).toBe(false)
  })

  it('auth on, nobody signed in: a Sign in link that comes back here', async () => {
    const { wrapper } = await mounted(AppNavbar, { ...ME_SIGNED_OUT, public: { live: true, uploads: false } }, '/live')
    expect(signInLink(wrapper).attributes('href')).toBe('/login?next=/live')
    expect(wrapper.find('[data-testid="signed-in"]').exists()).toBe(false)
  })

  it('the Live camera link leads to the webcam page and counts as current on an IP camera page too', async () => {
    const liveLink = (wrapper) => wrapper.findAll('a.nav-link').find((a) => a.text() === 'Live camera')
    const { wrapper, router } = await mounted(AppNavbar, ME_SIGNED_IN, '/live/cameras/3')
    expect(liveLink(wrapper).attributes('href')).toBe('/live')
    expect(liveLink(wrapper).attributes('aria-current')).toBe('page')
    expect(liveLink(wrapper).classes()).toContain('active')
    await router.push('/dashboard')
    await flushPromises()
    expect(liveLink(wrapper).attributes('aria-current')).toBeUndefined()
    expect(liveLink(wrapper).classes()).not.toContain('active')
    expect(wrapper.findAll('a.nav-link.active').map((a) => a.text())).toEqual(['Dashboard'])
  })

  it('auth off: neither', async () => {
    const { wrapper } = await mounted(AppNavbar, ME_OFF, '/dashboard')
    expect(signInLink(wrapper)).toBeUndefined()
    expect(wrapper.text()).not.toContain('Sign out')
  })
})

describe('AppOpenAccessNotice', () => {
  it('auth off: warns until dismissed, for the rest of the session', async () => {
    const { wrapper } = await mounted(AppOpenAccessNotice, ME_OFF, '/sources')
    expect(wrapper.find('[data-testid="open-access-notice"]').text()).toMatch(/anyone who can reach this address.*ADMIN_PASSWORD.*restart/s)
    await wrapper.find('button[aria-label="Hide the no-login notice"]').trigger('click')
    expect(wrapper.find('[data-testid="open-access-notice"]').exists()).toBe(false)
    const again = mount(AppOpenAccessNotice, { global: { plugins: [pinia] } })
    expect(again.find('[data-testid="open-access-notice"]').exists()).toBe(false)
  })

  it('says nothing when auth is on, or when the server did not answer', async () => {
    const { wrapper } = await mounted(AppOpenAccessNotice, ME_SIGNED_IN, '/sources')
    expect(wrapper.find('[data-testid="open-access-notice"]').exists()).toBe(false)
    setActivePinia((pinia = createPinia()))
    const down = await mounted(AppOpenAccessNotice, ME_OFF, '/upload', { 'GET /api/auth/me': () => new TypeError('Failed to fetch') })
    expect(down.wrapper.find('[data-testid="open-access-notice"]').exists()).toBe(false)
  })
})
