import { getCurrentInstance, onBeforeUnmount, ref, shallowRef } from 'vue'
import { connectLive, LOGIN_REQUIRED, sendFrame } from '../api/live'
import { emptyCounts } from '../lib/verdicts'

/**
 * Send-after-answer loop: capture a frame, send it, wait for the answer, then the next one, so a slow
 * server is never queued behind (one frame in flight at most). A failed send waits retryMs; a frame the
 * server answers "busy" (dropped) is not an answer, and the next one waits the retry_ms it names.
 *
 * capture() -> frame or null (not ready yet); send(frame) -> Promise of the answer.
 * Example: const loop = createFrameLoop({ capture, send, onAnswer }); loop.start()
 */
export function createFrameLoop({ capture, send, onAnswer, onError = () => {}, retryMs = 500, idleMs = 50,
  schedule = (fn, ms) => setTimeout(fn, ms), cancel = (id) => clearTimeout(id) }) {
  let running = false
  let inFlight = 0
  let timer = null

  function next(ms) {
    if (running) timer = schedule(tick, ms)
  }

  async function tick() {
    timer = null
    if (!running || inFlight) return
    let frame
    try {
      frame = await capture()
    } catch (err) {
      onError(err)
      return next(retryMs)
    }
    if (!frame) return next(idleMs)
    inFlight += 1
    let wait = 0
    try {
      const answer = await send(frame)
      // "busy": the server dropped the frame (too many in progress); it says how long to wait.
      if (answer?.error === 'busy') wait = answer.retry_ms ?? retryMs
      else if (running) onAnswer(answer, frame)
    } catch (err) {
      wait = retryMs
      if (running) onError(err)
    } finally {
      inFlight -= 1
    }
    next(wait)
  }

  return {
    start() {
      if (running) return
      running = true
      next(0)
    },
    stop() {
      running = false
      if (timer !== null) cancel(timer)
      timer = null
    },
    get running() { return running },
    get inFlight() { return inFlight },
  }
}

/** Frames per second over the last windowMs of answer times (ms timestamps, oldest first). */
export function framesPerSecond(times, now, windowMs = 3000) {
  const recent = times.filter((t) => now - t <= windowMs)
  if (recent.length < 2) return 0
  const span = (now - recent[0]) / 1000
  return span > 0 ? (recent.length - 1) / span : 0
}

/**
 * The live camera's conversation with /live: connection state, the latest faces and counts, the
 * processed frame rate, and server alerts passed to onAlert.
 * capture() gives {jpeg, width, height} or null. A connection refused for want of a sign-in stops
 * (connection 'login_required') instead of retrying.
 */
export function useLiveDetections({ capture, onAlert = () => {}, connect = connectLive }) {
  const connection = ref('idle') // idle | connecting | connected | reconnecting | failed | login_required
  const connectionMessage = ref('')
  const faces = ref([])
  const counts = ref(emptyCounts())
  const frameSize = ref({ width: 640, height: 480 })
  const fps = ref(0)
  const lastMs = ref(null)
  const frameError = ref('')
  const socket = shallowRef(null)
  let answerTimes = []
  let loop = null

  function onAnswer(answer, frame) {
    if (answer?.error) {
      frameError.value = answer.message || answer.error
      return
    }
    frameError.value = ''
    faces.value = answer.faces ?? []
    counts.value = { ...emptyCounts(), ...answer.counts }
    frameSize.value = { width: frame.width, height: frame.height }
    lastMs.value = answer.ms
    const now = performance.now()
    answerTimes = [...answerTimes.filter((t) => now - t <= 3000), now]
    fps.value = framesPerSecond(answerTimes, now)
  }

  function start({ name } = {}) {
    stop()
    connection.value = 'connecting'
    connectionMessage.value = ''
    const s = connect({ name })
    socket.value = s
    s.on('connect', () => {
      connection.value = 'connected'
      connectionMessage.value = ''
    })
    s.on('disconnect', (reason) => {
      faces.value = []
      fps.value = 0
      answerTimes = []
      connection.value = 'reconnecting'
      connectionMessage.value = `Connection to the server lost (${reason}); reconnecting…`
      if (reason === 'io server disconnect') s.connect() // the server closed it: socket.io won't retry by itself
    })
    s.on('connect_error', (err) => {
      if (err?.message === LOGIN_REQUIRED) {
        stop()
        connection.value = LOGIN_REQUIRED
        connectionMessage.value = 'The server needs a sign-in for the live camera.'
        return
      }
      connection.value = s.active ? 'reconnecting' : 'failed'
      connectionMessage.value = `Cannot reach the server (${err.message}); ${s.active ? 'retrying…' : 'press Start to try again.'}`
    })
    s.on('alert', onAlert)
    loop = createFrameLoop({
      capture,
      send: (frame) => sendFrame(s, frame.jpeg),
      onAnswer,
      onError: (err) => {
        if (s.connected) frameError.value = `No answer for a frame: ${err.message}`
      },
    })
    loop.start()
  }

  function stop() {
    loop?.stop()
    loop = null
    socket.value?.off()
    socket.value?.disconnect() // the server writes this client's sightings now
    socket.value = null
    connection.value = 'idle'
    faces.value = []
    fps.value = 0
    answerTimes = []
  }

  if (getCurrentInstance()) onBeforeUnmount(stop)
  return { connection, connectionMessage, faces, counts, frameSize, fps, lastMs, frameError, start, stop }
}
