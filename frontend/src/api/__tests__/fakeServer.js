import { vi } from 'vitest'

/** A fetch Response as request() reads it; body undefined: not JSON. */
export function answer(status, body) {
  return {
    ok: status < 400,
    status,
    statusText: 'x',
    // a copy, as a real answer is: the page must not share objects with the fake server's state
    json: async () => { if (body === undefined) throw new Error('no json'); return structuredClone(body) },
  }
}

/** A promise and the function that settles it: an answer held back until the test calls release(value). */
export function held() {
  let release
  const promise = new Promise((resolve) => { release = resolve })
  return { promise, release }
}

/**
 * A fetch stand-in answering "METHOD /path" keys (the query string left out) from `routes`: each value is
 * [status, body] or a function (call) -> [status, body] | Error (a network failure), or a promise of one
 * (to hold an answer back until the test lets it go). Every call is kept in
 * `calls` as {method, path, url, headers, body (parsed JSON when it was JSON)}.
 *
 * Example: const server = fakeServer({ 'GET /api/auth/me': [200, ME_OFF] }); vi.stubGlobal('fetch', server.fetch)
 */
export function fakeServer(routes = {}) {
  const calls = []
  const fetch = vi.fn(async (url, options = {}) => {
    const method = (options.method ?? 'GET').toUpperCase()
    const path = url.split('?')[0]
    let body = options.body
    if (typeof body === 'string') {
      try { body = JSON.parse(body) } catch { /* not JSON */ }
    }
    const call = { method, path, url, headers: { ...options.headers }, body }
    calls.push(call)
    const route = routes[`${method} ${path}`]
    if (!route) return answer(404, { error: 'not_found', message: `no route ${method} ${path}` })
    const result = await (typeof route === 'function' ? route(call) : route)
    if (result instanceof Error) throw result
    return answer(...result)
  })
  return { fetch, calls, routes, callsTo: (key) => calls.filter((c) => `${c.method} ${c.path}` === key) }
}

export const USER = { id: 1, username: 'admin', is_admin: true, created_at: '2026-11-01T08:00:00+00:00', last_login_at: null }

/** GET /api/auth/me answers: no account (auth off), auth on and nobody signed in, signed in. */
export const ME_OFF = { auth_enabled: false, authenticated: false, user: null, csrf_token: null, public: { live: false, uploads: false } }
export const ME_SIGNED_OUT = { ...ME_OFF, auth_enabled: true }
export const ME_SIGNED_IN = { ...ME_OFF, auth_enabled: true, authenticated: true, user: USER, csrf_token: 'csrf-1' }
