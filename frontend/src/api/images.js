import { query, request, uploadForm } from './http'

/** POST /api/images: {width, height, faces: [{box, label, score, face_score, verdict}], sightings, ms}. */
export function detectImage(file, { sourceId } = {}) {
  return request(`/api/images${query({ source_id: sourceId })}`, { method: 'POST', body: uploadForm(file) })
}
