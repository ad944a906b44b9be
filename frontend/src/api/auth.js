import { request } from './http'

function json(method, body) {
  return { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }
}

/**
 * GET /api/auth/me: {auth_enabled, authenticated, user: {id, username, is_admin, created_at, last_login_at} | null,
 * csrf_token, public: {live, uploads}}. Anyone may ask.
 */
export function me() {
  return request('/api/auth/me')
}

/** Sign in: {user, csrf_token}; 401 invalid_credentials, 429 too_many_requests, 400 auth_disabled. */
export function login({ username, password }) {
  return request('/api/auth/login', json('POST', { username, password }))
}

export function logout() {
  return request('/api/auth/logout', { method: 'POST' })
}

/** 400 invalid_request when the new one is too short, 401 invalid_credentials when the current one is wrong. */
export function changePassword({ currentPassword, newPassword }) {
  return request('/api/auth/password', json('POST', { current_password: currentPassword, new_password: newPassword }))
}

/** The signed-in user's API tokens: [{id, name, prefix, created_at, last_used_at}] (never the tokens themselves). */
export function listTokens() {
  return request('/api/auth/tokens')
}

/** A new token: as listTokens gives it plus `token` ("mw_..."), which is shown this once only. */
export function createToken({ name }) {
  return request('/api/auth/tokens', json('POST', { name }))
}

export function deleteToken(id) {
  return request(`/api/auth/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' })
}
