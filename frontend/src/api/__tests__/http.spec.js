import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, detailText, onAuthProblem, query, request, setCsrfToken } from '../http'

afterEach(() => {
  vi.unstubAllGlobals()
  setCsrfToken(null)
  onAuthProblem(null)
})

function answer(status, body) {
  return { ok: status < 400, status, statusText: 'x', json: async () => { if (body === undefined) throw new Error('no json'); return body } }
}

describe('request', () => {
  it('throws the server message with its validation details', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(answer(422, {
      error: 'invalid_request', message: 'invalid request parameters',
      details: { json: { url: ['a camera needs an rtsp://, http:// or https:// URL'] } },
    })))
    const err = await request('/api/sources').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(422)
    expect(err.message).toBe('invalid request parameters: url: a camera needs an rtsp://, http:// or https:// URL')
  })

  it('puts a status without a JSON body into words', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(answer(413)))
    await expect(request('/api/images')).rejects.toThrow('The file is too large.')
  })

  it('says when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', vi.fn().mockRejectedValue(new TypeError('Failed to fetch')))
    await expect(request('/api/health')).rejects.toMatchObject({ code: 'network' })
  })

  it('gives null for 204', async () => {
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(answer(204)))
    expect(await request('/api/sources/1', { method: 'DELETE' })).toBeNull()
  })
})

describe('CSRF token', () => {
  it('goes with every unsafe method and never with a safe one', async () => {
    const fetch = vi.fn().mockResolvedValue(answer(200, {}))
    vi.stubGlobal('fetch', fetch)
    setCsrfToken('tok-1')
    await request('/api/sources', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })
    await request('/api/sources/1', { method: 'put' })
    await request('/api/sources/1', { method: 'PATCH' })
    await request('/api/sources/1', { method: 'DELETE' })
    await request('/api/sources')
    await request('/api/sources', { method: 'HEAD' })
    const headers = fetch.mock.calls.map(([, options]) => options.headers ?? {})
    expect(headers.slice(0, 4).map((h) => h['X-CSRF-Token'])).toEqual(['tok-1', 'tok-1', 'tok-1', 'tok-1'])
    expect(headers[0]['Content-Type']).toBe('application/json') // the caller's headers stay
    expect(headers[4]['X-CSRF-Token']).toBeUndefined()
    expect(headers[5]['X-CSRF-Token']).toBeUndefined()
  })

  it('is left out when there is none (auth off, signed out)', async () => {
    const fetch = vi.fn().mockResolvedValue(answer(204))
    vi.stubGlobal('fetch', fetch)
    setCsrfToken('tok-1')
    setCsrfToken(null)
    await request('/api/sources/1', { method: 'DELETE' })
    expect(fetch.mock.calls[0][1].headers?.['X-CSRF-Token']).toBeUndefined()
  })
})

describe('auth problems', () => {
  it('a 401 login_required reaches the handler and still throws', async () => {
    const handler = vi.fn()
    onAuthProblem(handler)
    vi.stubGlobal('fetch', vi.fn().mockResolvedValue(answer(401, { error: 'login_required', message: 'sign in first' })))
    const err = await request('/api/sources').catch((e) => e)
    expect(err).toMatchObject({ status: 401, code: 'login_required', message: 'sign in first' })
    expect(handler).toHaveBeenCalledWith(err)
  })

  it('a 403 csrf_failed reaches it too; other refusals do not', async () => {
    const handler = vi.fn()
    onAuthProblem(handler)
    const fetch = vi.fn()
      .mockResolvedValueOnce(answer(403, { error: 'csrf_failed', message: 'missing CSRF token' }))
      .mockResolvedValueOnce(answer(401, { error: 'invalid_credentials', message: 'wrong user name or password' }))
      .mockResolvedValueOnce(answer(429, { error: 'too_many_requests', message: 'try again in 1 minute' }))
    vi.stubGlobal('fetch', fetch)
    await expect(request('/api/sources', { method: 'POST' })).rejects.toMatchObject({ code: 'csrf_failed' })
    await expect(request('/api/auth/login', { method: 'POST' })).rejects.toMatchObject({ code: 'invalid_credentials' })
    await expect(request('/api/auth/login', { method: 'POST' })).rejects.toThrow('try again in 1 minute')
    expect(handler).toHaveBeenCalledTimes(1)
    expect(handler.mock.calls[0][0].code).toBe('csrf_failed')
  })
})

describe('helpers', () => {
  it('leaves empty parameters out of a query', () => {
    expect(query({ source_id: '', start: '2026-11-01', end: null, tz: 'Europe/Paris' })).toBe('?start=2026-11-01&tz=Europe%2FParis')
    expect(query({})).toBe('')
  })

  it('flattens nested details', () => {
    expect(detailText({ query: { start: ['Not a valid date.'], tz: ['unknown time zone'] } })).toBe('start: Not a valid date.; tz: unknown time zone')
  })
})
