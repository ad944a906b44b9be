import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMemoryHistory } from 'vue-router'
import { fakeServer, ME_SIGNED_IN } from '../../api/__tests__/fakeServer'
import { setCsrfToken } from '../../api/http'
import { createAppRouter } from '../../router'
import LiveLoginNeeded from '../LiveLoginNeeded.vue'

let pinia
beforeEach(() => {
  pinia = createPinia()
  setActivePinia(pinia)
})
afterEach(() => {
  vi.unstubAllGlobals()
  setCsrfToken(null)
})

describe('LiveLoginNeeded', () => {
  it('says what was refused and links to the login page, coming back to this one', async () => {
    vi.stubGlobal('fetch', fakeServer({ 'GET /api/auth/me': [200, ME_SIGNED_IN] }).fetch)
    const router = createAppRouter(createMemoryHistory())
    await router.push('/live/cameras/3')
    const wrapper = mount(LiveLoginNeeded, { props: { doing: 'watch its cameras' }, global: { plugins: [pinia, router] } })
    expect(wrapper.text()).toMatch(/^Sign-in needed\. The server lets only signed-in users watch its cameras\./)
    expect(wrapper.find('a').attributes('href')).toBe('/login?next=/live/cameras/3')
  })
})
