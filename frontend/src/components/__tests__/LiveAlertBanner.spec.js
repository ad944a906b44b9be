import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import LiveAlertBanner from '../LiveAlertBanner.vue'

describe('LiveAlertBanner', () => {
  it('shows the verdict in words and the message, and asks to be dismissed', async () => {
    const alert = { verdict: 'no_mask', message: 'Please wear a mask.', at: new Date(2026, 10, 1, 9, 30) }
    const wrapper = mount(LiveAlertBanner, { props: { alert } })
    const banner = wrapper.find('[data-testid="alert-banner"]')
    expect(banner.text()).toMatch(/^No mask: Please wear a mask\./)
    expect(banner.attributes('role')).toBe('alert')
    await wrapper.find('button[aria-label="Dismiss the alert"]').trigger('click')
    expect(wrapper.emitted('dismiss')).toHaveLength(1)
  })

  it('names a verdict it does not know "Alert", and shows nothing without an alert', () => {
    const odd = mount(LiveAlertBanner, { props: { alert: { verdict: 'weird', message: 'x', at: new Date() } } })
    expect(odd.find('strong').text()).toBe('Alert')
    expect(mount(LiveAlertBanner).find('[data-testid="alert-banner"]').exists()).toBe(false)
  })
})
