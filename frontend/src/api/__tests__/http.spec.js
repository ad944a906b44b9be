import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, detailText, query, request } from '../http'

afterEach(() => vi.unstubAllGlobals())

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

describe('helpers', () => {
  it('leaves empty parameters out of a query', () => {
    expect(query({ source_id: '', start: '2026-11-01', end: null, tz: 'Europe/Paris' })).toBe('?start=2026-11-01&tz=Europe%2FParis')
    expect(query({})).toBe('')
  })

  it('flattens nested details', () => {
    expect(detailText({ query: { start: ['Not a valid date.'], tz: ['unknown time zone'] } })).toBe('start: Not a valid date.; tz: unknown time zone')
  })
})
