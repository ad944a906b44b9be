import { defineStore } from 'pinia'
import { ref } from 'vue'
import { localDate } from '../lib/chartData'

/** The dashboard's filters, kept while the user visits other pages. */
export const useDashboardStore = defineStore('dashboard', () => {
  const today = localDate()
  const weekAgo = localDate(new Date(Date.now() - 6 * 86400000))
  const mode = ref('day') // day: people per hour of `day`; range: people per day from start to end
  const day = ref(today)
  const start = ref(weekAgo)
  const end = ref(today)
  const sourceId = ref('')
  const autoRefresh = ref(true)
  return { mode, day, start, end, sourceId, autoRefresh }
})
