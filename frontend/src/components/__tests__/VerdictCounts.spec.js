import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import VerdictCounts from '../VerdictCounts.vue'

describe('VerdictCounts', () => {
  it('shows people, each verdict and the compliance rate', () => {
    const wrapper = mount(VerdictCounts, { props: { counts: { mask: 3, no_mask: 1, incorrect: 0, unknown: 1 } } })
    const count = (key) => wrapper.find(`[data-count="${key}"]`).text()
    expect(count('people')).toBe('5')
    expect(count('mask')).toBe('3')
    expect(count('no_mask')).toBe('1')
    expect(count('incorrect')).toBe('0')
    expect(count('compliance')).toBe('75.0 %')
    expect(count('judged')).toBe('of 4 judged, 1 unknown left out')
  })

  it('says nothing of unknown people when there are none', () => {
    const wrapper = mount(VerdictCounts, { props: { counts: { mask: 2, no_mask: 0, incorrect: 0, unknown: 0 } } })
    expect(wrapper.find('[data-count="judged"]').text()).toBe('of 2 judged')
  })
})
