import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { fakeServer, ME_OFF, ME_SIGNED_IN, ME_SIGNED_OUT, USER } from '../../api/__tests__/fakeServer'
import { setCsrfToken } from '../../api/http'
import { createAppRouter } from '../../router'
import LoginView from '../LoginView.vue'

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
})
afterEach(() => {
  vi.unstubAllGlobals()
  setCsrfToken(null)
})

/** The login page at `path`, against a server whose POST /api/auth/login answers `login`. */
async function loginPage(login, path = '/login?next=/sources') {
  let signedIn = false
  const server = fakeServer({
    'GET /api/auth/me': () => [200, signedIn ? ME_SIGNED_IN : ME_SIGNED_OUT],
    'POST /api/auth/login': (call) => {
      const result = typeof login === 'function' ? login(call) : login
      if (!(result instanceof Error) && result[0] === 200) signedIn = true
      return result
    },
  })
  vi.stubGlobal('fetch', server.fetch)
  const router = createAppRouter(createMemoryHistory())
  await router.push(path)
  const wrapper = mount(LoginView, { global: { plugins: [pinia, router] } })
  return { wrapper, router, server }
}

async function signIn(wrapper, username, password) {
  await wrapper.find('#login-username').setValue(username)
  await wrapper.find('#login-password').setValue(password)
  await wrapper.find('form').trigger('submit')
  await flushPromises()
}

describe('LoginView', () => {
  it('signs in and goes to next', async () => {
    const { wrapper, router, server } = await loginPage([200, { user: USER, csrf_token: 'csrf-1' }])
    await signIn(wrapper, ' admin ', 'correct horse')
    expect(server.callsTo('POST /api/auth/login')[0].body).toEqual({ username: 'admin', password: 'correct horse' })
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/sources'))
    expect(wrapper.find('[data-testid="login-error"]').exists()).toBe(false)
  })

  it('without a next it goes to the start page; a next to another site is ignored', async () => {
    const { wrapper, router } = await loginPage([200, { user: USER, csrf_token: 'csrf-1' }], '/login?next=//evil.example/')
    await signIn(wrapper, 'admin', 'correct horse')
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('upload'))
  })

  it('says wrong credentials in words, empties the password and stays', async () => {
    const { wrapper, router } = await loginPage([401, { error: 'invalid_credentials', message: 'wrong user name or password' }])
    await signIn(wrapper, 'admin', 'nope')
    expect(wrapper.find('[data-testid="login-error"]').text()).toBe('Wrong user name or password.')
    expect(wrapper.find('#login-password').element.value).toBe('')
    expect(wrapper.find('#login-username').element.value).toBe('admin')
    expect(router.currentRoute.value.name).toBe('login')
  })

  it('too many attempts: says so with the server\'s words on when to retry', async () => {
    const { wrapper } = await loginPage([429, { error: 'too_many_requests', message: 'too many failed attempts (5 per 1 minute); try again later' }])
    await signIn(wrapper, 'admin', 'nope')
    expect(wrapper.find('[data-testid="login-error"]').text())
      .toBe('Too many sign-in attempts: too many failed attempts (5 per 1 minute); try again later')
  })

  it('says when the server cannot be reached', async () => {
    const { wrapper } = await loginPage(() => new TypeError('Failed to fetch'))
    await signIn(wrapper, 'admin', 'correct horse')
    expect(wrapper.find('[data-testid="login-error"]').text()).toMatch(/Cannot reach the MaskWatch server/)
  })

  it('no account on the server (auth off): goes on to next instead of showing an error', async () => {
    const { wrapper, router, server } = await loginPage([400, { error: 'auth_disabled', message: 'no account exists' }])
    server.routes['GET /api/auth/me'] = [200, ME_OFF] // the account went away since the page loaded
    await signIn(wrapper, 'admin', 'x')
    await vi.waitFor(() => expect(router.currentRoute.value.fullPath).toBe('/sources'))
  })

  it('the button waits for both fields', async () => {
    const { wrapper } = await loginPage([200, {}])
    const button = wrapper.find('button[type="submit"]')
    expect(button.attributes('disabled')).toBeDefined()
    await wrapper.find('#login-username').setValue('admin')
    expect(button.attributes('disabled')).toBeDefined()
    await wrapper.find('#login-password').setValue('x')
    expect(button.attributes('disabled')).toBeUndefined()
  })
})
