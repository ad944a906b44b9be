/** An error answer of the API ({error, message}) or a network failure, with words to show. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

const STATUS_WORDS = {
  401: 'Please sign in first.',
  403: 'This request was refused.',
  413: 'The file is too large.',
  415: 'This file type is not supported.',
  429: 'Too many requests: wait a moment and try again.',
  500: 'The server failed while handling this request.',
  502: 'The server is not reachable.',
  503: 'The server is not ready.',
}

/**
 * "url: a camera needs an rtsp:// URL" from validation details such as {json: {url: ["a camera ..."]}}
 * (the location level, json/query/files, says nothing to a person and is left out).
 */
export function detailText(details) {
  const lines = []
  const walk = (value, field) => {
    if (typeof value === 'string') lines.push(field ? `${field}: ${value}` : value)
    else if (Array.isArray(value)) value.forEach((v) => walk(v, field))
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        const location = ['json', 'query', 'files', 'form', 'headers', '_schema'].includes(key)
        walk(v, location ? field : (field ? `${field}.${key}` : key))
      }
    }
  }
  walk(details, '')
  return lines.join('; ')
}

async function errorOf(response) {
  let body = null
  try {
    body = await response.json()
  } catch {
    // not JSON (a proxy's page, say): fall back to the status
  }
  let message = body?.message || STATUS_WORDS[response.status] || `The server answered ${response.status} ${response.statusText}.`
  if (body?.details) message = `${message}: ${detailText(body.details)}`
  return new ApiError(response.status, body?.error || 'http_error', message)
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
// Set by the auth store and the router (they import this module, never the other way round).
let csrfToken = null
let authProblemHandler = () => {}

/** The session's CSRF token, sent as X-CSRF-Token with every unsafe request; null sends none. */
export function setCsrfToken(token) {
  csrfToken = token || null
}

/**
 * handler(error) hears of every 401 login_required and 403 csrf_failed answer (the router sends the
 * user to the login page); the request still throws the error.
 */
export function onAuthProblem(handler) {
  authProblemHandler = handler ?? (() => {})
}

function withCsrf(options) {
  const method = (options.method ?? 'GET').toUpperCase()
  if (!csrfToken || !UNSAFE_METHODS.has(method)) return options
  return { ...options, headers: { ...options.headers, 'X-CSRF-Token': csrfToken } }
}

/** fetch() that returns parsed JSON (or null for 204) and throws ApiError with the server's words. */
export async function request(url, options = {}) {
  let response
  try {
    response = await fetch(url, withCsrf(options))
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the MaskWatch server. Check that it is running and the network is up.')
  }
  if (!response.ok) {
    const error = await errorOf(response)
    if (error.code === 'login_required' || error.code === 'csrf_failed') authProblemHandler(error)
    throw error
  }
  if (response.status === 204) return null
  return response.json()
}

export function query(params) {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, value)
  }
  const text = search.toString()
  return text ? `?${text}` : ''
}

export function uploadForm(file) {
  const form = new FormData()
  form.append('file', file, file.name)
  return form
}
