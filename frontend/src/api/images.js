import { query, request, uploadForm } from './http'

/**
 * POST /api/images: {width, height, faces: [{box, label, score, face_score, verdict}], sightings, ms}, and
 * already_counted ({uploaded_at, file_name, sightings}) when the same picture was counted before (unless countAgain).
 */
export function detectImage(file, { sourceId, countAgain = false } = {}) {
  return request(`/api/images${query({ source_id: sourceId, count_again: countAgain || undefined })}`, { method: 'POST', body: uploadForm(file) })
}
