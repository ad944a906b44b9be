import { describe, expect, it } from 'vitest'
import { accessRedirect, isOpenRoute, loginLocation, safeNext } from '../access'

const route = (name, fullPath, access, query = {}) => ({ name, fullPath, query, meta: access ? { access } : {} })
const dashboard = route('dashboard', '/dashboard?day=2026-11-02')
const upload = route('upload', '/upload', 'uploads')
const live = route('live', '/live', 'live')
const notFound = route('not-found', '/nowhere', 'anyone')
const login = (next) => route('login', '/login', 'anyone', next === undefined ? {} : { next })

const OFF = { authEnabled: false, signedIn: false, publicAccess: { live: false, uploads: false } }
const SIGNED_OUT = { ...OFF, authEnabled: true }
const SIGNED_IN = { ...SIGNED_OUT, signedIn: true }

describe('accessRedirect', () => {
  it('lets everything through when auth is off, and the login page sends you on', () => {
    for (const to of [dashboard, upload, live, notFound]) expect(accessRedirect(to, OFF)).toBeNull()
    expect(accessRedirect(login('/sources'), OFF)).toBe('/sources')
    expect(accessRedirect(login(), OFF)).toBe('/')
  })

  it('sends someone not signed in to the login page, with the way back', () => {
    expect(accessRedirect(dashboard, SIGNED_OUT)).toEqual({ name: 'login', query: { next: '/dashboard?day=2026-11-02' } })
    expect(accessRedirect(route('settings', '/settings'), SIGNED_OUT)).toEqual({ name: 'login', query: { next: '/settings' } })
    expect(accessRedirect(upload, SIGNED_OUT)).toEqual({ name: 'login', query: { next: '/upload' } })
    expect(accessRedirect(live, SIGNED_OUT)).toEqual({ name: 'login', query: { next: '/live' } })
  })

  it('never sends the login page to itself', () => {
    expect(accessRedirect(login('/dashboard'), SIGNED_OUT)).toBeNull()
    expect(accessRedirect(login(), SIGNED_OUT)).toBeNull()
    expect(accessRedirect(notFound, SIGNED_OUT)).toBeNull()
  })

  it('keeps /live and /upload open when the server makes them public, and only those', () => {
    const liveOpen = { ...SIGNED_OUT, publicAccess: { live: true, uploads: false } }
    expect(accessRedirect(live, liveOpen)).toBeNull()
    expect(accessRedirect(upload, liveOpen)).toEqual({ name: 'login', query: { next: '/upload' } })
    const uploadsOpen = { ...SIGNED_OUT, publicAccess: { live: false, uploads: true } }
    expect(accessRedirect(upload, uploadsOpen)).toBeNull()
    expect(accessRedirect(live, uploadsOpen)).not.toBeNull()
    expect(accessRedirect(dashboard, { ...SIGNED_OUT, publicAccess: { live: true, uploads: true } })).not.toBeNull()
  })

  it('lets a signed-in user anywhere and moves them off the login page', () => {
    for (const to of [dashboard, upload, live, route('sources', '/sources')]) expect(accessRedirect(to, SIGNED_IN)).toBeNull()
    expect(accessRedirect(login('/sources'), SIGNED_IN)).toBe('/sources')
    expect(accessRedirect(login('https://evil.example/'), SIGNED_IN)).toBe('/')
  })
})

describe('safeNext and loginLocation', () => {
  it('keeps only paths of this site, never the login page', () => {
    expect(safeNext('/dashboard?day=2026-11-02')).toBe('/dashboard?day=2026-11-02')
    expect(safeNext(['/live', '/x'])).toBe('/live')
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)', '', undefined, null,
      '/login', '/login?next=/login']) {
      expect(safeNext(bad)).toBeNull()
    }
    expect(safeNext('/login-help')).toBe('/login-help')
  })

  it('leaves out a next that says nothing', () => {
    expect(loginLocation('/live')).toEqual({ name: 'login', query: { next: '/live' } })
    expect(loginLocation('/')).toEqual({ name: 'login' })
    expect(loginLocation('/login?next=/x')).toEqual({ name: 'login' })
  })

  it('isOpenRoute reads meta.access against the public flags', () => {
    expect(isOpenRoute(notFound)).toBe(true)
    expect(isOpenRoute(live)).toBe(false)
    expect(isOpenRoute(live, { live: true })).toBe(true)
    expect(isOpenRoute(dashboard, { live: true, uploads: true })).toBe(false)
  })
})
