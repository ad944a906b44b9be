import { query } from './http'

/** Link to GET /api/sightings.csv; start/end are ISO instants (end exclusive). */
export function sightingsCsvUrl({ sourceId, start, end } = {}) {
  return `/api/sightings.csv${query({ source_id: sourceId, start, end })}`
}
