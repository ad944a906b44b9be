import { io } from 'socket.io-client'
import { request } from './http'

export function getJob(id) {
  return request(`/api/jobs/${encodeURIComponent(id)}`)
}

/** The per-person results of a finished video job: {video: {...}, people: [...]}. */
export function getJobResults(job) {
  return request(job.results_url)
}

/** Socket.IO namespace /jobs: every job's state as 'job' events while it runs. */
export function connectJobs() {
  return io('/jobs', { transports: ['websocket'] })
}
