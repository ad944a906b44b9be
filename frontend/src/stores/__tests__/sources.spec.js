import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { fakeServer, held } from '../../api/__tests__/fakeServer'
import { useSourcesStore } from '../sources'

const SUMMARY = { total: 3, counts: { mask: 2, no_mask: 1, incorrect: 0, unknown: 0 } }

beforeEach(() => setActivePinia(createPinia()))
afterEach(() => vi.unstubAllGlobals())

/** A server with `rows`; the first list answer waits for `firstList` when given. */
function sourcesServer(rows, firstList) {
  const state = { rows: [...rows], nextId: 10, lists: 0 }
  const server = fakeServer({
    'GET /api/sources': () => {
      state.lists += 1
      const snapshot = [...state.rows]
      return state.lists === 1 && firstList ? firstList.promise.then(() => [200, snapshot]) : [200, snapshot]
    },
    'POST /api/sources': ({ body }) => {
      const row = { id: state.nextId++, kind: body.kind, name: body.name, has_url: false, created_at: '2026-12-01T09:00:00+00:00' }
      state.rows.push(row)
      return [201, row]
    },
    'GET /api/stats/summary': [200, SUMMARY],
  })
  vi.stubGlobal('fetch', server.fetch)
  return { server, state }
}

describe('sources store', () => {
  it('keeps a source added while the list was still loading', async () => {
    const firstList = held()
    sourcesServer([{ id: 1, kind: 'webcam', name: 'Front door', has_url: false }], firstList)
    const store = useSourcesStore()
    const loading = store.load({ withCounts: true })
    await store.add({ kind: 'webcam', name: 'Side door' })
    firstList.release() // the list answer from before the add arrives last
    await loading
    expect(store.sources.map((s) => s.name)).toEqual(['Front door', 'Side door'])
    expect(store.counts[10]).toEqual({ people: 3, ...SUMMARY.counts })
  })

  it('asks once when nothing changes during the load', async () => {
    const { state } = sourcesServer([{ id: 1, kind: 'webcam', name: 'Front door', has_url: false }])
    const store = useSourcesStore()
    await store.load({ withCounts: true })
    expect(state.lists).toBe(1)
    expect(store.counts[1].people).toBe(3)
  })
})
