import { defineStore } from 'pinia'
import { ref, watch } from 'vue'

const MUTE_KEY = 'maskwatch.muted'

function stored(key, fallback) {
  try {
    const value = localStorage.getItem(key)
    return value === null ? fallback : JSON.parse(value)
  } catch {
    return fallback
  }
}

/** Preferences kept in the browser: whether live alerts make sound and speak. */
export const useSettingsStore = defineStore('settings', () => {
  const muted = ref(stored(MUTE_KEY, false))
  watch(muted, (value) => {
    try {
      localStorage.setItem(MUTE_KEY, JSON.stringify(value))
    } catch {
      // private mode: the switch still works for this page
    }
  })
  return { muted }
})
