import { defineStore } from 'pinia'
import { ref } from 'vue'
import { createSource, deleteSource, listSources } from '../api/sources'
import { getSummary } from '../api/stats'

/** The sources and, once loaded, their all-time people counts by verdict. */
export const useSourcesStore = defineStore('sources', () => {
  const sources = ref([])
  const counts = ref({})
  const loading = ref(false)
  const error = ref('')

  async function load({ withCounts = false } = {}) {
    loading.value = true
    error.value = ''
    try {
      sources.value = await listSources()
      if (withCounts) await loadCounts()
    } catch (err) {
      error.value = err.message
    } finally {
      loading.value = false
    }
  }

  async function loadCounts() {
    const summaries = await Promise.all(sources.value.map((s) => getSummary({ sourceId: s.id })))
    counts.value = Object.fromEntries(sources.value.map((s, i) => [s.id, { people: summaries[i].total, ...summaries[i].counts }]))
  }

  async function add(source) {
    const created = await createSource(source)
    sources.value = [...sources.value, created]
    counts.value = { ...counts.value, [created.id]: { people: 0, mask: 0, no_mask: 0, incorrect: 0, unknown: 0 } }
    return created
  }

  async function remove(id) {
    await deleteSource(id)
    sources.value = sources.value.filter((s) => s.id !== id)
  }

  return { sources, counts, loading, error, load, loadCounts, add, remove }
})
