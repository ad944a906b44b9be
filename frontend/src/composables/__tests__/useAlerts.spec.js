import { mount } from '@vue/test-utils'
import { describe, expect, it, vi } from 'vitest'
import { defineComponent, h, ref } from 'vue'
import { createAlertGate, useAlerts } from '../useAlerts'

function withSetup(composable) {
  let result
  mount(defineComponent({ setup() { result = composable(); return () => h('div') } }))
  return result
}

describe('createAlertGate', () => {
  it('lets one notification through per cooldown', () => {
    let t = 0
    const gate = createAlertGate({ cooldownMs: 10000, now: () => t })
    expect(gate.shouldNotify()).toBe(true)
    t = 9999
    expect(gate.shouldNotify()).toBe(false)
    t = 10000
    expect(gate.shouldNotify()).toBe(true)
    t = 15000
    expect(gate.shouldNotify()).toBe(false)
  })
})

describe('useAlerts', () => {
  const alert = { verdict: 'no_mask', message: 'Please wear a mask.', track_id: 1 }

  it('shows every alert but beeps and speaks once per cooldown', () => {
    let t = 1000
    const beep = vi.fn()
    const speak = vi.fn()
    const alerts = withSetup(() => useAlerts({ cooldownMs: 5000, beep, speak, now: () => t }))
    expect(alerts.notify(alert)).toBe(true)
    t += 1000
    expect(alerts.notify({ ...alert, track_id: 2 })).toBe(false)
    expect(alerts.banner.value.track_id).toBe(2)
    expect(alerts.total.value).toBe(2)
    expect(beep).toHaveBeenCalledTimes(1)
    expect(speak).toHaveBeenCalledWith('Please wear a mask.')
    t += 5000
    alerts.notify(alert)
    expect(beep).toHaveBeenCalledTimes(2)
  })

  it('stays silent while muted, and muted alerts do not use up the cooldown', () => {
    const muted = ref(true)
    const beep = vi.fn()
    const speak = vi.fn()
    const alerts = withSetup(() => useAlerts({ cooldownMs: 5000, muted, beep, speak, now: () => 0 }))
    alerts.notify(alert)
    expect(alerts.banner.value).not.toBeNull()
    expect(beep).not.toHaveBeenCalled()
    muted.value = false
    alerts.notify(alert)
    expect(beep).toHaveBeenCalledTimes(1)
    expect(speak).toHaveBeenCalledTimes(1)
  })

  it('hides the banner after a while', () => {
    vi.useFakeTimers()
    const alerts = withSetup(() => useAlerts({ bannerMs: 3000, beep() {}, speak() {} }))
    alerts.notify(alert)
    vi.advanceTimersByTime(2999)
    expect(alerts.banner.value).not.toBeNull()
    vi.advanceTimersByTime(1)
    expect(alerts.banner.value).toBeNull()
    vi.useRealTimers()
  })
})
