import { query, request } from './http'

export function browserTimeZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'
}

function statsUrl(kind, { sourceId, start, end, tz = browserTimeZone() }) {
  return `/api/stats/${kind}${query({ source_id: sourceId, start, end, tz })}`
}

export const getHourlyStats = (filters) => request(statsUrl('hourly', filters))
export const getDailyStats = (filters) => request(statsUrl('daily', filters))
export const getSummary = (filters) => request(statsUrl('summary', filters))
