/** Verdicts the API gives a face or a person, in display order, with their words and colours. */
export const VERDICTS = ['mask', 'no_mask', 'incorrect', 'unknown']

export const VERDICT_LABELS = {
  mask: 'Mask',
  no_mask: 'No mask',
  incorrect: 'Mask worn incorrectly',
  unknown: 'Unknown',
}

export const VERDICT_COLORS = {
  mask: '#198754',
  no_mask: '#dc3545',
  incorrect: '#fd7e14',
  unknown: '#6c757d',
}

/** Verdicts that should alert someone. */
export const ALERT_VERDICTS = new Set(['no_mask', 'incorrect'])

/** The verdict of a face from /api/images or /live (people have `verdict`, raw detections `label`). */
export function verdictOf(face) {
  const v = face.verdict ?? face.label
  return VERDICTS.includes(v) ? v : 'unknown'
}

/** {people, mask, no_mask, incorrect, unknown} for a list of faces. */
export function countFaces(faces) {
  const counts = emptyCounts()
  for (const face of faces ?? []) {
    counts[verdictOf(face)] += 1
    counts.people += 1
  }
  return counts
}

export function emptyCounts() {
  return { people: 0, mask: 0, no_mask: 0, incorrect: 0, unknown: 0 }
}

/**
 * Share of people with a known verdict who wore a mask properly (0-1), or null when nobody had one.
 * `unknown` people are left out: a face seen too small or too briefly says nothing about compliance.
 */
export function complianceRate(counts) {
  const judged = (counts.mask ?? 0) + (counts.no_mask ?? 0) + (counts.incorrect ?? 0)
  return judged ? (counts.mask ?? 0) / judged : null
}

export function formatPercent(share) {
  return share == null ? '–' : `${(share * 100).toFixed(share === 1 || share === 0 ? 0 : 1)} %`
}
