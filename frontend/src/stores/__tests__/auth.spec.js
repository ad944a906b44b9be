import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeServer, ME_OFF, ME_SIGNED_IN, ME_SIGNED_OUT, USER } from '../../api/__tests__/fakeServer'
import { request, setCsrfToken } from '../../api/http'
import { useAuthStore } from '../auth'

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => {
  vi.unstubAllGlobals()
  setCsrfToken(null)
})

function serve(routes) {
  const server = fakeServer(routes)
  vi.stubGlobal('fetch', server.fetch)
  return server
}

describe('useAuthStore', () => {
  it('loads /api/auth/me once however many wait for it', async () => {
    const server = serve({ 'GET /api/auth/me': [200, { ...ME_SIGNED_OUT, public: { live: true, uploads: false } }] })
    const auth = useAuthStore()
    expect(auth.status).toBe('idle')
    await Promise.all([auth.ready(), auth.ready(), auth.ready()])
    await auth.ready()
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(1)
    expect(auth.status).toBe('ready')
    expect(auth.authEnabled).toBe(true)
    expect(auth.signedIn).toBe(false)
    expect(auth.user).toBeNull()
    expect(auth.publicAccess).toEqual({ live: true, uploads: false })
  })

  it('auth off: open, no user, no CSRF token', async () => {
    serve({ 'GET /api/auth/me': [200, ME_OFF] })
    const auth = useAuthStore()
    await auth.ready()
    expect(auth.authEnabled).toBe(false)
    expect(auth.signedIn).toBe(false)
    expect(auth.csrfToken).toBeNull()
  })

  it('a signed-in session gives its CSRF token to every later unsafe request', async () => {
    const server = serve({ 'GET /api/auth/me': [200, ME_SIGNED_IN], 'DELETE /api/sources/4': [204] })
    const auth = useAuthStore()
    await auth.ready()
    expect(auth.user).toEqual(USER)
    expect(auth.csrfToken).toBe('csrf-1')
    await request('/api/sources/4', { method: 'DELETE' })
    expect(server.callsTo('DELETE /api/sources/4')[0].headers['X-CSRF-Token']).toBe('csrf-1')
  })

  it('signIn posts the credentials, takes the new token and asks /me again', async () => {
    let signedIn = false
    const server = serve({
      'GET /api/auth/me': () => [200, signedIn ? { ...ME_SIGNED_IN, csrf_token: 'csrf-2' } : ME_SIGNED_OUT],
      'POST /api/auth/login': () => { signedIn = true; return [200, { user: USER, csrf_token: 'csrf-2' }] },
      'POST /api/sources': [201, { id: 1 }],
    })
    const auth = useAuthStore()
    await auth.ready()
    await auth.signIn({ username: 'admin', password: 'correct horse' })
    expect(server.callsTo('POST /api/auth/login')[0].body).toEqual({ username: 'admin', password: 'correct horse' })
    expect(server.callsTo('GET /api/auth/me')).toHaveLength(2)
    expect(auth.signedIn).toBe(true)
    expect(auth.user.username).toBe('admin')
    await request('/api/sources', { method: 'POST' })
    expect(server.callsTo('POST /api/sources')[0].headers['X-CSRF-Token']).toBe('csrf-2')
  })

  it('a refused signIn throws its reason and leaves nobody signed in', async () => {
    serve({
      'GET /api/auth/me': [200, ME_SIGNED_OUT],
      'POST /api/auth/login': [401, { error: 'invalid_credentials', message: 'wrong user name or password' }],
    })
    const auth = useAuthStore()
    await auth.ready()
    await expect(auth.signIn({ username: 'admin', password: 'nope' })).rejects.toMatchObject({ code: 'invalid_credentials' })
    expect(auth.signedIn).toBe(false)
  })

  it('signOut posts with the CSRF token, then is signed out with no token left', async () => {
    let signedIn = true
    const server = serve({
      'GET /api/auth/me': () => [200, signedIn ? ME_SIGNED_IN : ME_SIGNED_OUT],
      'POST /api/auth/logout': () => { signedIn = false; return [204] },
      'POST /api/sources': [201, {}],
    })
    const auth = useAuthStore()
    await auth.ready()
    await auth.signOut()
    expect(server.callsTo('POST /api/auth/logout')[0].headers['X-CSRF-Token']).toBe('csrf-1')
    expect(auth.signedIn).toBe(false)
    expect(auth.authEnabled).toBe(true)
    expect(auth.csrfToken).toBeNull()
    await request('/api/sources', { method: 'POST' })
    expect(server.callsTo('POST /api/sources')[0].headers['X-CSRF-Token']).toBeUndefined()
  })

  it('signOut of a session the server had already ended still signs out here', async () => {
    serve({
      'GET /api/auth/me': [200, ME_SIGNED_OUT],
      'POST /api/auth/logout': [401, { error: 'login_required', message: 'sign in first' }],
    })
    const auth = useAuthStore()
    auth.user = USER
    await auth.signOut()
    expect(auth.signedIn).toBe(false)
  })

  it('signOut refused for a stale CSRF token takes the current one and tries again', async () => {
    let signedIn = true
    const server = serve({
      'GET /api/auth/me': () => [200, signedIn ? { ...ME_SIGNED_IN, csrf_token: 'csrf-new' } : ME_SIGNED_OUT],
      'POST /api/auth/logout': ({ headers }) => {
        if (headers['X-CSRF-Token'] !== 'csrf-new') return [403, { error: 'csrf_failed', message: 'wrong X-CSRF-Token' }]
        signedIn = false
        return [204]
      },
    })
    const auth = useAuthStore()
    auth.user = USER
    setCsrfToken('csrf-old')
    await auth.signOut()
    expect(server.callsTo('POST /api/auth/logout').map((c) => c.headers['X-CSRF-Token'])).toEqual(['csrf-old', 'csrf-new'])
    expect(signedIn).toBe(false)
    expect(auth.signedIn).toBe(false)
  })

  it('an unreachable server: failed, auth counted as off, and ready() does not throw', async () => {
    serve({ 'GET /api/auth/me': () => new TypeError('Failed to fetch') })
    const auth = useAuthStore()
    await auth.ready()
    expect(auth.status).toBe('failed')
    expect(auth.error).toMatch(/Cannot reach the MaskWatch server/)
    expect(auth.authEnabled).toBe(false)
  })

  it('signedOut(): the server asked for a login, so auth is on and nobody is signed in', async () => {
    serve({ 'GET /api/auth/me': [200, ME_OFF] })
    const auth = useAuthStore()
    await auth.ready()
    auth.signedOut()
    expect(auth.authEnabled).toBe(true)
    expect(auth.signedIn).toBe(false)
  })
})
