import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import FaceOverlay from '../FaceOverlay.vue'

describe('FaceOverlay', () => {
  it('draws one labelled box per face in picture coordinates', () => {
    const wrapper = mount(FaceOverlay, {
      props: {
        width: 640, height: 480, showTrack: true,
        faces: [
          { box: [10, 50, 110, 170], label: 'mask', score: 0.97, track_id: 3 },
          { box: [300, 5, 380, 100], label: 'no_mask', score: 0.88 },
        ],
      },
    })
    expect(wrapper.attributes('viewBox')).toBe('0 0 640 480')
    const boxes = wrapper.findAll('.face-box')
    expect(boxes).toHaveLength(2)
    const rect = boxes[0].find('rect')
    expect([rect.attributes('x'), rect.attributes('y'), rect.attributes('width'), rect.attributes('height')]).toEqual(['10', '50', '100', '120'])
    expect(rect.attributes('stroke')).toBe('#198754')
    expect(boxes[0].text()).toBe('#3 Mask 97%')
    expect(boxes[1].attributes('data-verdict')).toBe('no_mask')
    expect(boxes[1].text()).toBe('No mask 88%')
    // a box at the top edge gets its label below it
    expect(Number(boxes[1].find('text').attributes('y'))).toBeGreaterThan(100)
  })

  it('numbers the faces for the list beside the picture and tells which one the pointer is on', async () => {
    const wrapper = mount(FaceOverlay, {
      props: {
        width: 400, height: 300, numbered: true, highlighted: 1,
        faces: [
          { box: [10, 50, 50, 90], label: 'mask', score: 0.97 },
          { box: [52, 50, 92, 90], label: 'no_mask', score: 0.88 },
        ],
      },
    })
    const boxes = wrapper.findAll('.face-box')
    expect(boxes.map((b) => b.find('text').text())).toEqual(['1', '2'])
    expect(boxes[1].classes()).toContain('highlighted')
    expect(Number(boxes[1].find('rect').attributes('stroke-width'))).toBeGreaterThan(Number(boxes[0].find('rect').attributes('stroke-width')))
    await boxes[0].trigger('mouseenter')
    await boxes[0].trigger('mouseleave')
    expect(wrapper.emitted('highlight')).toEqual([[0], [null]])
  })
})
