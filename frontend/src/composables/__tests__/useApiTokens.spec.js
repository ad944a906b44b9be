import { describe, expect, it } from 'vitest'
import { held } from '../../api/__tests__/fakeServer'
import { useApiTokens } from '../useApiTokens'

const OLD = { id: 1, name: 'backup script', prefix: 'mw_Ab12' }

/** An API whose first list answer waits until release() is called (the list as it was when asked). */
function slowListApi() {
  const rows = [OLD]
  const firstList = held()
  let lists = 0
  return {
    release: () => firstList.release(),
    listTokens: async () => {
      lists += 1
      const snapshot = [...rows]
      if (lists === 1) await firstList.promise
      return snapshot
    },
    createToken: async ({ name }) => {
      const row = { id: rows.length + 1, name, prefix: 'mw_Zz99' }
      rows.push(row)
      return { ...row, token: 'mw_Zz99secret' }
    },
    deleteToken: async (id) => {
      rows.splice(rows.findIndex((r) => r.id === id), 1)
    },
  }
}

describe('useApiTokens', () => {
  it('keeps a token made while the list was still loading', async () => {
    const api = slowListApi()
    const tokens = useApiTokens({ api })
    const loading = tokens.load()
    expect(await tokens.create('nightly export')).toBe(true)
    api.release()
    await loading
    expect(tokens.tokens.value.map((t) => t.name)).toEqual(['backup script', 'nightly export'])
    expect(tokens.created.value).toEqual({ name: 'nightly export', token: 'mw_Zz99secret' })
  })

  it('does not bring back a token revoked while the list was still loading', async () => {
    const api = slowListApi()
    const tokens = useApiTokens({ api })
    const loading = tokens.load()
    await tokens.revoke(1)
    api.release()
    await loading
    expect(tokens.tokens.value).toEqual([])
  })
})
