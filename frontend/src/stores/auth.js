import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import * as authApi from '../api/auth'
import { setCsrfToken } from '../api/http'

/**
 * Who is signed in, from GET /api/auth/me: loaded once before the first page (ready()), again after
 * signing in or out. While it is unknown (not loaded, or the server did not answer) auth counts as off:
 * the server still refuses what needs a login, this only decides what the pages show.
 *
 * Example: const auth = useAuthStore(); await auth.ready(); if (auth.authEnabled && !auth.signedIn) ...
 */
export const useAuthStore = defineStore('auth', () => {
  const status = ref('idle') // idle | loading | ready | failed
  const error = ref('')
  const authEnabled = ref(false)
  const user = ref(null)
  const csrfToken = ref(null)
  const publicAccess = ref({ live: false, uploads: false })
  const signedIn = computed(() => user.value !== null)
  let firstLoad = null

  function keepCsrfToken(token) {
    csrfToken.value = token ?? null
    setCsrfToken(csrfToken.value)
  }

  function apply(answer) {
    authEnabled.value = Boolean(answer.auth_enabled)
    user.value = answer.authenticated ? (answer.user ?? null) : null
    publicAccess.value = { live: Boolean(answer.public?.live), uploads: Boolean(answer.public?.uploads) }
    keepCsrfToken(answer.csrf_token)
  }

  /** Ask the server again; never throws (a failure is kept in `error`). */
  async function refresh() {
    status.value = 'loading'
    try {
      apply(await authApi.me())
      error.value = ''
      status.value = 'ready'
    } catch (err) {
      error.value = err.message
      status.value = 'failed'
    }
  }

  /** The first load, shared by everyone who waits for it. */
  function ready() {
    firstLoad ??= refresh()
    return firstLoad
  }

  /** Throws the ApiError of a refused sign-in (its code says why). */
  async function signIn({ username, password }) {
    const answer = await authApi.login({ username, password })
    user.value = answer.user
    keepCsrfToken(answer.csrf_token)
    await refresh()
  }

  /** Sign out on the server; locally too when the session had already ended there. */
  async function signOut() {
    try {
      await authApi.logout()
    } catch (err) {
      if (err.code === 'csrf_failed') {
        await refresh() // the session's token changed (signed in again in another tab): once more with it
        if (signedIn.value) await authApi.logout()
      } else if (err.code !== 'login_required') {
        throw err
      }
    }
    signedOut()
    await refresh()
  }

  /** The server said a login is required (a 401 login_required): so auth is on, and nobody is signed in. */
  function signedOut() {
    authEnabled.value = true
    user.value = null
  }

  return { status, error, authEnabled, user, csrfToken, publicAccess, signedIn, refresh, ready, signIn, signOut, signedOut }
})
