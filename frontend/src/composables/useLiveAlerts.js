import { storeToRefs } from 'pinia'
import { useSettingsStore } from '../stores/settings'
import { useAlerts } from './useAlerts'

/** Sound and speech at most this often on a live page; the banner shows every alert. */
export const LIVE_ALERT_COOLDOWN_MS = 10000

/**
 * A live page's alerts: useAlerts with the browser's mute setting (the settings store, so both live pages
 * and later visits share it) and the live cooldown. Returns { muted, banner, total, notify, dismiss }.
 *
 * Example: const { muted, banner, notify } = useLiveAlerts(); useCameraFeed({ onAlert: notify })
 */
export function useLiveAlerts(options = {}) {
  const { muted } = storeToRefs(useSettingsStore())
  return { muted, ...useAlerts({ cooldownMs: LIVE_ALERT_COOLDOWN_MS, ...options, muted }) }
}
