import { onBeforeUnmount, ref } from 'vue'
import { connectJobs, getJob } from '../api/jobs'

export const FINISHED = new Set(['done', 'failed', 'cancelled'])

/**
 * Follow a job to its end: 'job' events on /jobs move the progress bar; a slow poll of
 * GET /api/jobs/<id> covers events missed before the socket joined (a short video can finish first).
 */
export function useJobProgress({ pollMs = 2000 } = {}) {
  const job = ref(null)
  const error = ref('')
  let socket = null
  let timer = null

  function update(state) {
    if (!job.value || state.id !== job.value.id) return
    // events and polls can cross: never move backwards
    if (FINISHED.has(job.value.status)) return
    job.value = { ...state, progress: Math.max(state.progress ?? 0, job.value.progress ?? 0) }
    if (FINISHED.has(state.status)) {
      job.value.progress = state.status === 'done' ? 1 : job.value.progress
      stop()
    }
  }

  async function poll() {
    try {
      update(await getJob(job.value.id))
      error.value = ''
    } catch (err) {
      error.value = err.message
    }
    if (job.value && !FINISHED.has(job.value.status)) timer = setTimeout(poll, pollMs)
  }

  function follow(initial) {
    stop()
    job.value = { ...initial }
    error.value = ''
    if (FINISHED.has(initial.status)) return
    socket = connectJobs()
    socket.on('job', update)
    timer = setTimeout(poll, pollMs)
  }

  function stop() {
    clearTimeout(timer)
    timer = null
    socket?.off()
    socket?.disconnect()
    socket = null
  }

  onBeforeUnmount(stop)
  return { job, error, follow, stop, update }
}
