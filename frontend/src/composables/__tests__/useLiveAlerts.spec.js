import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'
import { useSettingsStore } from '../../stores/settings'
import { LIVE_ALERT_COOLDOWN_MS, useLiveAlerts } from '../useLiveAlerts'

function withSetup(composable) {
  let result
  mount(defineComponent({ setup() { result = composable(); return () => h('div') } }))
  return result
}

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
})

describe('useLiveAlerts', () => {
  const alert = { verdict: 'no_mask', message: 'Please wear a mask.' }

  it('sounds once per live cooldown', () => {
    let t = 0
    const beep = vi.fn()
    const alerts = withSetup(() => useLiveAlerts({ beep, speak: vi.fn(), now: () => t }))
    alerts.notify(alert)
    t = LIVE_ALERT_COOLDOWN_MS - 1
    alerts.notify(alert)
    expect(beep).toHaveBeenCalledTimes(1)
    t = LIVE_ALERT_COOLDOWN_MS
    alerts.notify(alert)
    expect(beep).toHaveBeenCalledTimes(2)
    expect(alerts.total.value).toBe(3)
  })

  it("follows the settings store's mute switch, and the switch writes it", () => {
    const beep = vi.fn()
    useSettingsStore().muted = true
    const alerts = withSetup(() => useLiveAlerts({ beep, speak: vi.fn() }))
    expect(alerts.notify(alert)).toBe(false)
    expect(alerts.banner.value.message).toBe('Please wear a mask.') // muted still shows the banner
    alerts.muted.value = false
    expect(useSettingsStore().muted).toBe(false)
    expect(alerts.notify(alert)).toBe(true)
    expect(beep).toHaveBeenCalledTimes(1)
  })
})
