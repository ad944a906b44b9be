import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { nextTick, ref } from 'vue'
import { useAuthStore } from '../../stores/auth'
import { useLoginRefusal } from '../useLoginRefusal'

beforeEach(() => setActivePinia(createPinia()))

describe('useLoginRefusal', () => {
  it('a login_required connection signs the page out and runs onRefused once', async () => {
    const auth = useAuthStore()
    auth.user = { username: 'admin' }
    const connection = ref('connected')
    const onRefused = vi.fn()
    const refused = useLoginRefusal(connection, { onRefused })
    expect(refused.value).toBe(false)
    connection.value = 'login_required'
    await nextTick()
    expect(refused.value).toBe(true)
    expect(auth.signedIn).toBe(false)
    expect(auth.authEnabled).toBe(true)
    expect(onRefused).toHaveBeenCalledTimes(1)
    connection.value = 'connecting' // Start again: the notice goes until the server refuses again
    await nextTick()
    expect(refused.value).toBe(false)
    expect(onRefused).toHaveBeenCalledTimes(1)
  })

  it('other states, lost connections included, are not a refusal', async () => {
    const auth = useAuthStore()
    auth.user = { username: 'admin' }
    const connection = ref('idle')
    const refused = useLoginRefusal(connection)
    for (const state of ['connecting', 'reconnecting', 'failed', 'idle']) {
      connection.value = state
      await nextTick()
      expect(refused.value).toBe(false)
    }
    expect(auth.signedIn).toBe(true)
  })
})
