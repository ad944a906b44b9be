import { io } from 'socket.io-client'
import { request } from './http'

/** The newest jobs first: each with source_name, queue_position (queued) and eta_s (running). */
export function listJobs(limit = 100) {
  return request(`/api/jobs?limit=${limit}`)
}

/** Cancel a queued or running job; answers the job. */
export function cancelJob(id) {
  return request(`/api/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' })
}

/** Delete a finished job, its files and the people it counted. */
export function deleteJob(id) {
  return request(`/api/jobs/${encodeURIComponent(id)}`, { method: 'DELETE' })
}

export function getJob(id) {
  return request(`/api/jobs/${encodeURIComponent(id)}`)
}

/** The per-person results of a finished video job: {video: {...}, people: [...]}. */
export function getJobResults(job) {
  return request(job.results_url)
}

/** Socket.IO namespace /jobs: every job's state as 'job' events while it runs, 'job_deleted' ({id}) when one goes. */
export function connectJobs() {
  return io('/jobs', { transports: ['websocket'] })
}
