import { query, request, uploadForm } from './http'

/**
 * POST /api/videos: the new job ({id, status, progress, ...}); progress follows on /jobs. The same video
 * uploaded before answers its first job with already_counted (unless countAgain).
 */
export function uploadVideo(file, { sourceId, countAgain = false } = {}) {
  return request(`/api/videos${query({ source_id: sourceId, count_again: countAgain || undefined })}`, { method: 'POST', body: uploadForm(file) })
}
