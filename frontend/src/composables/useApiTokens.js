import { ref } from 'vue'
import * as authApi from '../api/auth'
import { changeCounter } from '../lib/freshness'

/**
 * The signed-in user's API tokens: the list, making one (its whole value is kept in `created` to show
 * once, never stored) and revoking one.
 *
 * Example: const tokens = useApiTokens(); await tokens.load(); await tokens.create('backup script')
 */
export function useApiTokens({ api = authApi } = {}) {
  const tokens = ref([])
  const loading = ref(false)
  const error = ref('')
  const created = ref(null) // {name, token} of the token made last, until hidden
  const busy = ref(false)
  const changes = changeCounter() // a list loaded while a token was made or revoked is asked for again

  async function load() {
    loading.value = true
    try {
      tokens.value = (await changes.settled(() => api.listTokens())) ?? []
      error.value = ''
    } catch (err) {
      error.value = `Could not load the API tokens: ${err.message}`
    } finally {
      loading.value = false
    }
  }

  /** Make a token named `name`; true when made. */
  async function create(name) {
    busy.value = true
    error.value = ''
    try {
      const { token, ...listed } = await api.createToken({ name })
      changes.note()
      tokens.value = [...tokens.value, listed]
      created.value = { name: listed.name, token }
      return true
    } catch (err) {
      error.value = `Could not create the token: ${err.message}`
      return false
    } finally {
      busy.value = false
    }
  }

  async function revoke(id) {
    busy.value = true
    error.value = ''
    try {
      await api.deleteToken(id)
      changes.note()
      tokens.value = tokens.value.filter((t) => t.id !== id)
    } catch (err) {
      if (err.code === 'not_found') {
        changes.note()
        tokens.value = tokens.value.filter((t) => t.id !== id)
      } else {
        error.value = `Could not revoke the token: ${err.message}`
      }
    } finally {
      busy.value = false
    }
  }

  function hideCreated() {
    created.value = null
  }

  return { tokens, loading, error, created, busy, load, create, revoke, hideCreated }
}
