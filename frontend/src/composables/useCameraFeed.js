import { getCurrentInstance, onBeforeUnmount, ref, shallowRef } from 'vue'
import * as camerasApi from '../api/cameras'
import { connectLive, LOGIN_REQUIRED } from '../api/live'
import { emptyCounts } from '../lib/verdicts'

/** The state a camera object (from the API or a watch answer) carries: {state, error}. */
export function cameraStateOf(camera) {
  const status = camera?.camera ?? camera ?? {}
  return { state: status.state ?? 'stopped', error: status.error ?? null }
}

/**
 * Watching one IP camera on /live: the server pushes 'camera' (faces, counts, size, JPEG bytes),
 * 'camera_state' and 'alert' events to the camera's room, joined with emit('watch').
 * The latest JPEG is shown through a Blob URL (imageUrl); the one before is revoked.
 *
 * Example: const feed = useCameraFeed({ onAlert }); await feed.load(); feed.watch(3); feed.start()
 */
export function useCameraFeed({ onAlert = () => {}, api = camerasApi, connect = connectLive,
  urls = { create: (blob) => URL.createObjectURL(blob), revoke: (url) => URL.revokeObjectURL(url) } } = {}) {
  const cameras = ref([])
  const loadError = ref('')
  const cameraId = ref(null)
  const state = ref('stopped') // stopped | starting | connected | retrying | failed
  const error = ref(null)
  const connection = ref('idle') // idle | connecting | connected | reconnecting | login_required
  const faces = ref([])
  const counts = ref(emptyCounts())
  const frameSize = ref({ width: 640, height: 480 })
  const lastMs = ref(null)
  const imageUrl = ref(null)
  const busy = ref(false)
  const actionError = ref('')
  const socket = shallowRef(null)

  function setImage(bytes) {
    const old = imageUrl.value
    imageUrl.value = bytes ? urls.create(new Blob([bytes], { type: 'image/jpeg' })) : null
    if (old) urls.revoke(old)
  }

  function applyState(camera) {
    const s = cameraStateOf(camera)
    state.value = s.state
    error.value = s.error
    const listed = cameras.value.find((c) => c.id === cameraId.value)
    if (listed) listed.camera = { ...(listed.camera ?? {}), state: s.state, error: s.error }
  }

  async function load() {
    try {
      cameras.value = (await api.listCameras()) ?? []
      loadError.value = ''
    } catch (err) {
      cameras.value = []
      loadError.value = err.message
    }
    return cameras.value
  }

  function onFrame(data) {
    if (data?.camera_id !== cameraId.value) return
    faces.value = data.faces ?? []
    counts.value = { ...emptyCounts(), ...data.counts }
    if (data.width && data.height) frameSize.value = { width: data.width, height: data.height }
    lastMs.value = data.ms ?? null
    if (data.image) setImage(data.image)
    if (state.value !== 'connected') { state.value = 'connected'; error.value = null }
  }

  function onState(data) {
    if (data?.camera_id !== cameraId.value) return
    applyState(data)
    if (data.state !== 'connected') faces.value = []
  }

  function onCameraAlert(data) {
    if (data?.camera_id === cameraId.value) onAlert(data)
  }

  function sendWatch(s, id) {
    s.emit('watch', { camera_id: id }, (answer) => {
      if (id !== cameraId.value) return
      if (answer?.error) actionError.value = answer.message || answer.error
      else if (answer?.camera) applyState(answer)
    })
  }

  /** Watch camera `id` (leaving the one watched before). */
  function watch(id) {
    unwatch()
    cameraId.value = id
    const listed = cameras.value.find((c) => c.id === id)
    if (listed) applyState(listed)
    connection.value = 'connecting'
    const s = connect({ sourceId: id })
    socket.value = s
    s.on('connect', () => {
      connection.value = 'connected'
      sendWatch(s, id) // again after a reconnection: rooms do not survive it
    })
    s.on('disconnect', (reason) => {
      connection.value = 'reconnecting'
      faces.value = []
      if (reason === 'io server disconnect') s.connect()
    })
    s.on('connect_error', (err) => {
      if (err?.message !== LOGIN_REQUIRED) {
        connection.value = 'reconnecting'
        return
      }
      s.off()
      s.disconnect() // refused, not lost: retrying gets the same answer until someone signs in
      connection.value = LOGIN_REQUIRED
    })
    s.on('camera', onFrame)
    s.on('camera_state', onState)
    s.on('alert', onCameraAlert)
  }

  /** Stop watching (the camera itself goes on running on the server). */
  function unwatch() {
    const s = socket.value
    if (s) {
      if (s.connected && cameraId.value != null) s.emit('unwatch', { camera_id: cameraId.value })
      s.off()
      s.disconnect()
    }
    socket.value = null
    cameraId.value = null
    connection.value = 'idle'
    faces.value = []
    counts.value = emptyCounts()
    lastMs.value = null
    actionError.value = ''
    setImage(null)
  }

  async function act(call) {
    if (cameraId.value == null) return
    const id = cameraId.value
    busy.value = true
    actionError.value = ''
    try {
      const camera = await call(id)
      if (id === cameraId.value && camera) applyState(camera)
    } catch (err) {
      if (id === cameraId.value) actionError.value = err.message
    } finally {
      busy.value = false
    }
  }

  const start = () => act(api.startCamera)
  const stop = () => act(api.stopCamera)

  if (getCurrentInstance()) onBeforeUnmount(unwatch)
  return { cameras, loadError, cameraId, state, error, connection, faces, counts, frameSize, lastMs, imageUrl,
    busy, actionError, load, watch, unwatch, start, stop }
}
