/**
 * Where the label of each face box goes so that no two labels overlap and none leaves the picture:
 * the first free spot of above / below / inside / beside the box, else the free spot
 * nearest the box on a grid over the whole picture. Sizes are in the picture's own pixels.
 *
 * Example: placeLabels([{ x: 10, y: 50, w: 100, h: 120, text: '1' }], { width: 640, height: 480, fontSize: 14 })
 *   -> [{ x: 10, y: 32.5, w: 14.7, h: 17.5 }]   (the label's rectangle, above the box)
 */

const CHAR_WIDTH = 0.62 // of the font size, for digits and most letters of a bold sans-serif
const LINE_HEIGHT = 1.25

export function labelSize(text, fontSize, pad = 0.2) {
  return { w: (String(text).length * CHAR_WIDTH + 2 * pad) * fontSize, h: LINE_HEIGHT * fontSize }
}

export function overlaps(a, b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

function fits(rect, width, height) {
  return rect.x >= 0 && rect.y >= 0 && rect.x + rect.w <= width && rect.y + rect.h <= height
}

function clampInto(rect, width, height) {
  return {
    ...rect,
    x: Math.min(Math.max(0, rect.x), Math.max(0, width - rect.w)),
    y: Math.min(Math.max(0, rect.y), Math.max(0, height - rect.h)),
  }
}

function candidates(box, size) {
  const { w, h } = size
  const right = box.x + box.w - w
  return [
    { x: box.x, y: box.y - h }, // above, left aligned
    { x: box.x, y: box.y + box.h }, // below
    { x: box.x, y: box.y }, // inside, top left
    { x: right, y: box.y - h },
    { x: right, y: box.y + box.h },
    { x: box.x - w, y: box.y }, // beside
    { x: box.x + box.w, y: box.y },
  ].map((p) => ({ ...p, w, h }))
}

function nearestFree(box, size, placed, width, height) {
  const step = size.h / 2
  let best = null
  let bestDistance = Infinity
  for (let y = 0; y + size.h <= height + 1e-6; y += step) {
    for (let x = 0; x + size.w <= width + 1e-6; x += step) {
      const rect = { x, y, w: size.w, h: size.h }
      const distance = Math.hypot(x - box.x, y + size.h - box.y)
      if (distance < bestDistance && !placed.some((p) => overlaps(p, rect))) {
        best = rect
        bestDistance = distance
      }
    }
  }
  return best
}

/**
 * boxes: [{x, y, w, h, text}] in drawing order; returns each label's rectangle {x, y, w, h} (top left),
 * in the same order. A label that finds no free spot anywhere (more labels than the picture holds) keeps
 * its first spot inside the picture.
 */
export function placeLabels(boxes, { width, height, fontSize }) {
  const placed = []
  return boxes.map((box) => {
    const size = labelSize(box.text, fontSize)
    const raw = candidates(box, size)
    // spots that fit as they are come first; pushed inside the picture, the others may cover their face
    const spots = [...raw.filter((r) => fits(r, width, height)), ...raw.map((r) => clampInto(r, width, height))]
    const free = spots.find((r) => !placed.some((p) => overlaps(p, r))) ?? nearestFree(box, size, placed, width, height) ?? spots[0]
    placed.push(free)
    return free
  })
}
