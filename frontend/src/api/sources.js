import { request } from './http'

export function listSources() {
  return request('/api/sources')
}

export function createSource({ kind, name, url }) {
  return request('/api/sources', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(url ? { kind, name, url } : { kind, name }),
  })
}

export function deleteSource(id) {
  return request(`/api/sources/${id}`, { method: 'DELETE' })
}
