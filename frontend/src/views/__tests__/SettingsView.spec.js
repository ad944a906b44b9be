import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { fakeServer, ME_OFF, ME_SIGNED_IN } from '../../api/__tests__/fakeServer'
import { setCsrfToken } from '../../api/http'
import { createAppRouter } from '../../router'
import SettingsView from '../SettingsView.vue'

const TOKEN = { id: 7, name: 'backup script', prefix: 'mw_Ab12', created_at: '2026-11-01T08:00:00+00:00', last_used_at: null }

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
})
afterEach(() => {
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
  setCsrfToken(null)
})

/** The settings page against a small in-memory server: one user, `tokens`, the password 'old password'. */
async function settingsPage({ me = ME_SIGNED_IN, tokens = [TOKEN] } = {}) {
  const state = { tokens: [...tokens], password: 'old password', nextId: 20 }
  const server = fakeServer({
    'GET /api/auth/me': [200, me],
    'GET /api/auth/tokens': () => [200, state.tokens],
    'POST /api/auth/tokens': ({ body }) => {
      const row = { id: state.nextId++, name: body.name, prefix: 'mw_Zz99', created_at: '2026-11-02T09:00:00+00:00', last_used_at: null }
      state.tokens.push(row)
      return [201, { ...row, token: 'mw_Zz99secretsecretsecret' }]
    },
    'POST /api/auth/password': ({ body }) => {
      if (body.current_password !== state.password) return [401, { error: 'invalid_credentials', message: 'the current password is wrong' }]
      state.password = body.new_password
      return [204]
    },
  })
  server.routes['DELETE /api/auth/tokens/7'] = () => {
    state.tokens = state.tokens.filter((t) => t.id !== 7)
    return [204]
  }
  vi.stubGlobal('fetch', server.fetch)
  const router = createAppRouter(createMemoryHistory())
  await router.push('/settings')
  const wrapper = mount(SettingsView, { global: { plugins: [pinia, router] } })
  await flushPromises()
  return { wrapper, server, state }
}

const rows = (wrapper) => wrapper.findAll('[data-testid="token-row"]').map((r) => r.text())

describe('SettingsView', () => {
  it('shows who is signed in, what is public, and the tokens', async () => {
    const { wrapper } = await settingsPage({ me: { ...ME_SIGNED_IN, public: { live: true, uploads: false } } })
    expect(wrapper.find('[data-testid="settings-user"]').text()).toBe('admin')
    expect(wrapper.find('[data-testid="public-access"]').text()).toMatch(/Open to anyone without a sign-in: the live camera page/)
    expect(wrapper.find('[data-testid="public-access"]').text()).not.toMatch(/uploading/)
    expect(rows(wrapper)).toHaveLength(1)
    expect(rows(wrapper)[0]).toContain('backup script')
    expect(rows(wrapper)[0]).toContain('mw_Ab12')
    expect(rows(wrapper)[0]).toContain('never')
  })

  it('creates a token and shows it once, with a copy button', async () => {
    const writeText = vi.fn().mockResolvedValue()
    vi.stubGlobal('navigator', { ...globalThis.navigator, clipboard: { writeText } })
    const { wrapper, server } = await settingsPage({ tokens: [] })
    expect(wrapper.text()).toContain('No API tokens.')
    await wrapper.find('#token-name').setValue(' nightly export ')
    await wrapper.find('[data-testid="token-form"]').trigger('submit')
    await flushPromises()
    const call = server.callsTo('POST /api/auth/tokens')[0]
    expect(call.body).toEqual({ name: 'nightly export' })
    expect(call.headers['X-CSRF-Token']).toBe('csrf-1')
    expect(wrapper.find('[data-testid="new-token-value"]').element.value).toBe('mw_Zz99secretsecretsecret')
    expect(rows(wrapper)).toHaveLength(1)
    expect(rows(wrapper)[0]).not.toContain('secret') // the list has only the prefix
    expect(wrapper.find('#token-name').element.value).toBe('')

    await wrapper.findAll('button').find((b) => b.text() === 'Copy').trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith('mw_Zz99secretsecretsecret')
    expect(wrapper.find('[data-testid="new-token"]').text()).toContain('Copied.')

    await wrapper.findAll('button').find((b) => b.text() === 'Done').trigger('click')
    expect(wrapper.find('[data-testid="new-token"]').exists()).toBe(false)
    expect(wrapper.text()).not.toContain('secretsecret')
  })

  it('revokes a token after asking', async () => {
    const confirm = vi.spyOn(window, 'confirm').mockReturnValueOnce(false).mockReturnValueOnce(true)
    const { wrapper, server } = await settingsPage()
    const revoke = () => wrapper.find('button[aria-label="Revoke backup script"]').trigger('click')
    await revoke()
    await flushPromises()
    expect(server.callsTo('DELETE /api/auth/tokens/7')).toHaveLength(0)
    expect(rows(wrapper)).toHaveLength(1)
    await revoke()
    await flushPromises()
    expect(confirm).toHaveBeenCalledTimes(2)
    expect(server.callsTo('DELETE /api/auth/tokens/7')[0].headers['X-CSRF-Token']).toBe('csrf-1')
    expect(rows(wrapper)).toHaveLength(0)
  })

  it('changes the password; says so when the current one is wrong or the new ones are not fit', async () => {
    const { wrapper, server, state } = await settingsPage()
    const fill = async (current, next, repeat) => {
      await wrapper.find('#current-password').setValue(current)
      await wrapper.find('#new-password').setValue(next)
      await wrapper.find('#repeat-password').setValue(repeat)
      await wrapper.find('[data-testid="password-form"]').trigger('submit')
      await flushPromises()
    }
    const error = () => wrapper.find('[data-testid="password-error"]')

    await fill('old password', 'short', 'short')
    expect(error().text()).toBe('The new password needs at least 8 characters.')
    await fill('old password', 'new password 1', 'new password 2')
    expect(error().text()).toBe('The two new passwords differ.')
    expect(server.callsTo('POST /api/auth/password')).toHaveLength(0)

    await fill('not it', 'new password', 'new password')
    expect(error().text()).toBe('The current password is wrong.')
    expect(state.password).toBe('old password')

    await fill('old password', 'new password', 'new password')
    expect(server.callsTo('POST /api/auth/password').at(-1).body).toEqual({ current_password: 'old password', new_password: 'new password' })
    expect(state.password).toBe('new password')
    expect(error().exists()).toBe(false)
    expect(wrapper.find('[data-testid="password-done"]').text()).toBe('Password changed.')
    expect(wrapper.find('#current-password').element.value).toBe('')
  })

  it('with auth off it explains how to turn the login on and offers no forms', async () => {
    const { wrapper, server } = await settingsPage({ me: ME_OFF })
    expect(wrapper.find('[data-testid="auth-off"]').text()).toMatch(/ADMIN_PASSWORD.*restart/)
    expect(wrapper.find('form').exists()).toBe(false)
    expect(server.callsTo('GET /api/auth/tokens')).toHaveLength(0)
  })
})
