import { describe, expect, it } from 'vitest'
import { overlaps, placeLabels } from '../labelPlacement'

const inside = (r, width, height) => r.x >= 0 && r.y >= 0 && r.x + r.w <= width + 1e-9 && r.y + r.h <= height + 1e-9

describe('placeLabels', () => {
  it('puts a label above its box, or below it at the top edge', () => {
    const [above, below] = placeLabels(
      [{ x: 100, y: 100, w: 50, h: 60, text: '1' }, { x: 300, y: 2, w: 50, h: 60, text: '2' }],
      { width: 640, height: 480, fontSize: 16 },
    )
    expect(above.x).toBe(100)
    expect(above.y + above.h).toBeCloseTo(100)
    expect(below.y).toBe(62)
  })

  it('keeps labels at the right edge inside the picture', () => {
    const [label] = placeLabels([{ x: 630, y: 200, w: 10, h: 10, text: 'Mask worn incorrectly 97%' }], { width: 640, height: 480, fontSize: 14 })
    expect(inside(label, 640, 480)).toBe(true)
  })

  it('never lets two labels of a tight crowd overlap or leave the picture', () => {
    // 24 small faces shoulder to shoulder, rows touching: every natural spot is taken by a neighbour's label
    const boxes = []
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 8; col++) boxes.push({ x: 8 + col * 48, y: 40 + row * 44, w: 40, h: 40, text: String(boxes.length + 1) })
    }
    const labels = placeLabels(boxes, { width: 400, height: 300, fontSize: 14 })
    expect(labels).toHaveLength(24)
    labels.forEach((a, i) => {
      expect(inside(a, 400, 300)).toBe(true)
      labels.slice(i + 1).forEach((b) => expect(overlaps(a, b)).toBe(false))
    })
  })
})
