import { request } from './http'

/** Every IP camera: [{id, name, url_masked, detect_fps, camera: {state, error, since, enabled}, watch}]. */
export function listCameras() {
  return request('/api/cameras')
}

/** Start reading a camera (again after a failure); answers the camera as listCameras does. */
export function startCamera(id) {
  return request(`/api/cameras/${id}/start`, { method: 'POST' })
}

/** Stop a camera: its worker lets go within about a second and reports 'stopped'. */
export function stopCamera(id) {
  return request(`/api/cameras/${id}/stop`, { method: 'POST' })
}
