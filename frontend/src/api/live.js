import { io } from 'socket.io-client'

/** The message of the connect_error when the server refuses a connection for want of a sign-in. */
export const LOGIN_REQUIRED = 'login_required'

/**
 * A Socket.IO connection to /live for one camera; `name` names its source (default "webcam"), or
 * `sourceId` picks an existing source (an IP camera being watched: no webcam source is made).
 * Frames go as JPEG bytes with an acknowledgement: see sendFrame.
 */
export function connectLive({ name, sourceId } = {}) {
  const auth = sourceId != null ? { source_id: sourceId } : (name ? { name } : {})
  return io('/live', {
    auth,
    transports: ['websocket'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
  })
}

/** Send one JPEG frame and resolve with the server's answer {faces, counts, ms} (or {error, message}). */
export function sendFrame(socket, jpeg, timeoutMs = 15000) {
  if (!socket.connected) return Promise.reject(new Error('not connected'))
  return socket.timeout(timeoutMs).emitWithAck('frame', jpeg)
}
