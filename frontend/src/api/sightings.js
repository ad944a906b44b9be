import { query } from './http'
import { browserTimeZone } from './stats'

/** Link to GET /api/sightings.csv; start/end are ISO instants (end exclusive); tz names the time zone of its
 * local-time columns (default the browser's). */
export function sightingsCsvUrl({ sourceId, start, end, tz = browserTimeZone() } = {}) {
  return `/api/sightings.csv${query({ source_id: sourceId, start, end, tz })}`
}
