import { onBeforeUnmount, ref, shallowRef } from 'vue'

/**
 * What went wrong asking for the camera, in words: {kind, message}.
 * kind: insecure | unsupported | denied | no_camera | busy | unknown.
 */
export function cameraProblem(error, { secure = globalThis.isSecureContext, host = globalThis.location?.host } = {}) {
  if (!secure) {
    return {
      kind: 'insecure',
      message: `Browsers give the camera only to secure pages, and http://${host} is not one. ` +
        'Open MaskWatch as http://localhost on the machine that runs it, or serve it over HTTPS ' +
        '(make run HTTPS=1, or maskwatch serve --https) and open https://… from this device.',
    }
  }
  const name = error?.name
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
    return { kind: 'denied', message: 'Camera access was denied. Allow the camera for this site in the browser (the icon in the address bar) and press Start again.' }
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') {
    return { kind: 'no_camera', message: 'No camera was found. Connect a camera and press Start again.' }
  }
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    return { kind: 'busy', message: 'The camera could not be started; another application may be using it.' }
  }
  if (name === 'unsupported') {
    return { kind: 'unsupported', message: 'This browser cannot use a camera (no navigator.mediaDevices.getUserMedia).' }
  }
  return { kind: 'unknown', message: `The camera could not be started: ${error?.message || error}` }
}

/**
 * The webcam as a MediaStream: start() asks for it, stop() releases it; problem says why it failed.
 * onEnded runs when the camera stops by itself (unplugged, taken by another application).
 */
export function useWebcam({ width = 640, height = 480, onEnded = () => {} } = {}) {
  const stream = shallowRef(null)
  const problem = ref(null)

  async function start() {
    problem.value = null
    if (!globalThis.isSecureContext) {
      problem.value = cameraProblem(null)
      return null
    }
    if (!navigator.mediaDevices?.getUserMedia) {
      problem.value = cameraProblem({ name: 'unsupported' })
      return null
    }
    try {
      stream.value = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: width }, height: { ideal: height }, facingMode: 'user' },
        audio: false,
      })
      stream.value.getVideoTracks()[0]?.addEventListener('ended', () => {
        stop()
        problem.value = { kind: 'ended', message: 'The camera stopped sending pictures (unplugged, or taken by another application). Press Start camera to try again.' }
        onEnded()
      })
      return stream.value
    } catch (err) {
      problem.value = cameraProblem(err)
      return null
    }
  }

  function stop() {
    stream.value?.getTracks().forEach((track) => track.stop())
    stream.value = null
  }

  onBeforeUnmount(stop)
  return { stream, problem, start, stop }
}
