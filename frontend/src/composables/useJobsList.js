import { onBeforeUnmount, ref } from 'vue'
import * as jobsApi from '../api/jobs'
import { FINISHED } from './useJobProgress'

/**
 * Every job the server knows (GET /api/jobs), kept current by the /jobs namespace: a 'job' event updates its
 * row (a job not listed yet is loaded again with its queue place), 'job_deleted' removes it; a reload asks
 * every `refreshMs` while a job is unfinished (queue places and time left move without events).
 *
 * Example: const { jobs, load, cancel, remove } = useJobsList(); await load()
 */
export function useJobsList({ api = jobsApi, refreshMs = 5000 } = {}) {
  const jobs = ref([])
  const error = ref('')
  const loaded = ref(false)
  let socket = null
  let timer = null

  async function load() {
    try {
      jobs.value = (await api.listJobs()) ?? []
      error.value = ''
    } catch (err) {
      error.value = `Could not load the jobs: ${err.message}`
    } finally {
      loaded.value = true
    }
    schedule()
  }

  function schedule() {
    clearTimeout(timer)
    timer = jobs.value.some((j) => !FINISHED.has(j.status)) ? setTimeout(load, refreshMs) : null
  }

  function onJob(event) {
    const state = Object.fromEntries(Object.entries(event).filter(([, v]) => v !== undefined))
    const i = jobs.value.findIndex((j) => j.id === state.id)
    if (i < 0) return load()
    const old = jobs.value[i]
    // an event never moves a finished job back, nor its progress backwards
    if (FINISHED.has(old.status) && !FINISHED.has(state.status)) return
    const progress = Math.max(state.progress ?? 0, FINISHED.has(state.status) ? 0 : old.progress ?? 0)
    jobs.value.splice(i, 1, { ...old, ...state, progress, queue_position: state.status === 'queued' ? old.queue_position : null })
    schedule()
  }

  function onDeleted({ id }) {
    jobs.value = jobs.value.filter((j) => j.id !== id)
  }

  function connect() {
    socket = api.connectJobs()
    socket.on('job', onJob)
    socket.on('job_deleted', onDeleted)
    socket.on('connect', load) // after a reconnect, what was missed
  }

  async function cancel(job) {
    onJob(await api.cancelJob(job.id))
  }

  async function remove(job) {
    await api.deleteJob(job.id)
    onDeleted(job)
  }

  function stop() {
    clearTimeout(timer)
    socket?.off()
    socket?.disconnect()
    socket = null
  }

  onBeforeUnmount(stop)
  return { jobs, error, loaded, load, connect, cancel, remove, stop, onJob }
}
