import { query, request, uploadForm } from './http'

/** POST /api/videos: the new job ({id, status, progress, ...}); progress follows on /jobs. */
export function uploadVideo(file, { sourceId } = {}) {
  return request(`/api/videos${query({ source_id: sourceId })}`, { method: 'POST', body: uploadForm(file) })
}
