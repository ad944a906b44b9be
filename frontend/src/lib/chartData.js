import { VERDICTS, VERDICT_COLORS, VERDICT_LABELS } from './verdicts'

/** "14:00" from the API's hour key "2026-11-23T14:00:00+01:00" (already in the caller's time zone). */
export function hourLabel(iso) {
  return iso.slice(11, 16)
}

/** "Mon 23 Nov" from "2026-11-23" without shifting the day through a time zone. */
export function dayLabel(isoDate) {
  const [y, m, d] = isoDate.split('-').map(Number)
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString('en-GB', {
    weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC',
  })
}

// One stacked bar per hour or day (the chart stacks both axes): a bar's height is everyone seen in it, each
// segment one verdict; a count stays in its own hour instead of being drawn across its neighbours.
function barDatasets(rows) {
  return VERDICTS.map((verdict) => ({
    label: VERDICT_LABELS[verdict],
    data: rows.map((row) => row[verdict] ?? 0),
    backgroundColor: VERDICT_COLORS[verdict],
    borderColor: VERDICT_COLORS[verdict],
    stack: 'people',
  }))
}

/** Bar chart data of /api/stats/hourly's `hours`: one bar per hour, one segment per verdict. */
export function hourlyChartData(hours) {
  return { labels: hours.map((h) => hourLabel(h.hour)), datasets: barDatasets(hours) }
}

/** Bar chart data of /api/stats/daily's `days`: one bar per day, one segment per verdict. */
export function dailyChartData(days) {
  return { labels: days.map((d) => dayLabel(d.date)), datasets: barDatasets(days) }
}

/** The rows a bar chart draws, for a table beside it: [{label, values (one per dataset), total}]. */
export function chartRows(data) {
  return (data?.labels ?? []).map((label, i) => {
    const values = data.datasets.map((d) => d.data[i] ?? 0)
    return { label, values, total: values.reduce((a, b) => a + b, 0) }
  })
}

/** Pie chart data of /api/stats/summary's `counts`; verdicts with no people are left out. */
export function pieChartData(counts) {
  const shown = VERDICTS.filter((v) => (counts?.[v] ?? 0) > 0)
  return {
    labels: shown.map((v) => VERDICT_LABELS[v]),
    datasets: [{ data: shown.map((v) => counts[v]), backgroundColor: shown.map((v) => VERDICT_COLORS[v]) }],
  }
}

/** Local calendar date "YYYY-MM-DD" of a Date (not its UTC date). */
export function localDate(date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0')
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** ISO instant of local midnight starting `isoDate` plus `days` days (for the CSV export's UTC filters). */
export function localMidnightIso(isoDate, days = 0) {
  const [y, m, d] = isoDate.split('-').map(Number)
  return new Date(y, m - 1, d + days).toISOString()
}
