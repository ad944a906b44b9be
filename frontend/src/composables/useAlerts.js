import { isRef, onBeforeUnmount, ref, unref, watch } from 'vue'

/**
 * At most one notification per `cooldownMs`: shouldNotify() says whether this one may sound.
 * Example: const gate = createAlertGate({ cooldownMs: 10000 }); if (gate.shouldNotify()) beep()
 */
export function createAlertGate({ cooldownMs, now = () => Date.now() }) {
  let last = -Infinity
  return {
    shouldNotify() {
      const t = now()
      if (t - last < cooldownMs) return false
      last = t
      return true
    },
    reset() {
      last = -Infinity
    },
  }
}

let audioContext = null

/** Browsers start audio only after a user gesture: call this from a click (the Start button). */
export function unlockAudio() {
  const AudioContext = globalThis.AudioContext || globalThis.webkitAudioContext
  if (!AudioContext) return null
  audioContext ??= new AudioContext()
  if (audioContext.state === 'suspended') audioContext.resume()
  return audioContext
}

/** Two short tones (WebAudio), quiet enough for a shop door. */
export function beep() {
  const ctx = unlockAudio()
  if (!ctx) return
  const start = ctx.currentTime
  for (const [offset, frequency] of [[0, 880], [0.18, 660]]) {
    const osc = ctx.createOscillator()
    const gain = ctx.createGain()
    osc.type = 'sine'
    osc.frequency.value = frequency
    gain.gain.setValueAtTime(0.0001, start + offset)
    gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02)
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.15)
    osc.connect(gain).connect(ctx.destination)
    osc.start(start + offset)
    osc.stop(start + offset + 0.16)
  }
}

/** Say a message with the browser's speech synthesis, if it has one. */
export function speak(message) {
  const synth = globalThis.speechSynthesis
  if (!synth || typeof SpeechSynthesisUtterance === 'undefined') return
  synth.cancel()
  synth.speak(new SpeechSynthesisUtterance(message))
}

/**
 * Live alerts: a banner for every alert; sound and speech at most once per cooldown, never when muted.
 * Options: cooldownMs (default 10000), muted (a ref), bannerMs (how long the banner stays, 8000),
 * and beep/speak/now to replace the browser's (tests).
 */
export function useAlerts({ cooldownMs = 10000, muted = ref(false), bannerMs = 8000, beep: playBeep = beep,
  speak: say = speak, now = () => Date.now() } = {}) {
  const gate = createAlertGate({ cooldownMs, now })
  const banner = ref(null)
  const total = ref(0)
  let hideTimer = null

  function notify(alert) {
    total.value += 1
    banner.value = { ...alert, at: new Date(now()) }
    clearTimeout(hideTimer)
    hideTimer = setTimeout(() => { banner.value = null }, bannerMs)
    if (!unref(muted) && gate.shouldNotify()) {
      playBeep()
      say(alert.message)
      return true
    }
    return false
  }

  function dismiss() {
    clearTimeout(hideTimer)
    banner.value = null
  }

  if (isRef(muted)) {
    watch(muted, (now) => { if (now) globalThis.speechSynthesis?.cancel() }) // muting also stops a sentence half said
  }
  onBeforeUnmount(() => clearTimeout(hideTimer))
  return { banner, total, notify, dismiss }
}
