import { defineStore } from 'pinia'
import { ref } from 'vue'
import { createSource, deleteSource, listSources } from '../api/sources'
import { getSummary } from '../api/stats'
import { changeCounter } from '../lib/freshness'

/** The sources and, once loaded, their all-time people counts by verdict. */
export const useSourcesStore = defineStore('sources', () => {
  const sources = ref([])
  const counts = ref({})
  const loading = ref(false)
  const error = ref('')
  // A list loaded while a source was added or removed would lose that change: such a load asks again.
  const changes = changeCounter()

  async function load({ withCounts = false } = {}) {
    loading.value = true
    error.value = ''
    try {
      const { list, countsById } = await changes.settled(async () => {
        const fetched = await listSources()
        return { list: fetched, countsById: withCounts ? await countsOf(fetched) : null }
      })
      sources.value = list
      if (countsById) counts.value = countsById
    } catch (err) {
      error.value = err.message
    } finally {
      loading.value = false
    }
  }

  async function countsOf(list) {
    const summaries = await Promise.all(list.map((s) => getSummary({ sourceId: s.id })))
    return Object.fromEntries(list.map((s, i) => [s.id, { people: summaries[i].total, ...summaries[i].counts }]))
  }

  async function add(source) {
    const created = await createSource(source)
    changes.note()
    sources.value = [...sources.value, created]
    counts.value = { ...counts.value, [created.id]: { people: 0, mask: 0, no_mask: 0, incorrect: 0, unknown: 0 } }
    return created
  }

  async function remove(id) {
    await deleteSource(id)
    changes.note()
    sources.value = sources.value.filter((s) => s.id !== id)
  }

  return { sources, counts, loading, error, load, add, remove }
})
