/**
 * Which pages need a sign-in, as pure functions of the route and the auth state, for the router's guard and
 * for its answer to a 401. A route's meta.access says who may see it: 'anyone' (the login page, not found),
 * 'live' or 'uploads' (anyone when the server makes that public), otherwise signed-in users only.
 * The server enforces all of this on its own; these only spare people pages that would refuse them.
 */

export const LOGIN_ROUTE = 'login'

/** A `next` that stays on this site's pages (no //host, no scheme, not the login page itself), else null. */
export function safeNext(next) {
  const value = Array.isArray(next) ? next[0] : next
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null
  if (value === '/login' || value.startsWith('/login?') || value.startsWith('/login#')) return null
  return value
}

/** The login page, coming back to `fullPath` afterwards. */
export function loginLocation(fullPath) {
  const next = safeNext(fullPath)
  return next && next !== '/' ? { name: LOGIN_ROUTE, query: { next } } : { name: LOGIN_ROUTE }
}

/** Whether someone not signed in may see the route `to` (meta.access, see above). */
export function isOpenRoute(to, publicAccess = {}) {
  const access = to.meta?.access
  return access === 'anyone' || (access === 'live' && Boolean(publicAccess.live))
    || (access === 'uploads' && Boolean(publicAccess.uploads))
}

/**
 * Where the guard sends a navigation to `to`: null lets it through, else a location.
 * auth: {authEnabled, signedIn, publicAccess: {live, uploads}} (the auth store fits).
 *
 * Example: accessRedirect({ name: 'dashboard', fullPath: '/dashboard', meta: {} }, { authEnabled: true,
 *   signedIn: false }) -> { name: 'login', query: { next: '/dashboard' } }
 */
export function accessRedirect(to, { authEnabled, signedIn, publicAccess }) {
  if (to.name === LOGIN_ROUTE) {
    // nothing to sign in to, or done already: on to where the login was asked for
    return !authEnabled || signedIn ? (safeNext(to.query?.next) ?? '/') : null
  }
  if (!authEnabled || signedIn || isOpenRoute(to, publicAccess)) return null
  return loginLocation(to.fullPath)
}
