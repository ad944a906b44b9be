/**
 * The states the two live pages show in a badge, in words and a Bootstrap colour: the webcam's
 * connection to the server (useLiveDetections' `connection`) and an IP camera as the server reads it
 * (useCameraFeed's `state`).
 */

export const CONNECTION_STATUS = {
  idle: { text: 'Stopped', badge: 'text-bg-secondary' },
  connecting: { text: 'Connecting…', badge: 'text-bg-secondary' },
  connected: { text: 'Connected', badge: 'text-bg-success' },
  reconnecting: { text: 'Reconnecting…', badge: 'text-bg-warning' },
  failed: { text: 'Disconnected', badge: 'text-bg-danger' },
}

export const CAMERA_STATUS = {
  stopped: { text: 'Stopped', badge: 'text-bg-secondary' },
  starting: { text: 'Starting…', badge: 'text-bg-secondary' },
  connected: { text: 'Connected', badge: 'text-bg-success' },
  retrying: { text: 'Retrying…', badge: 'text-bg-warning' },
  failed: { text: 'Failed', badge: 'text-bg-danger' },
}

/**
 * {text, badge} for `state` in one of the maps above; a state the map does not know shows as itself, in grey.
 *
 * Example: statusOf(CAMERA_STATUS, 'retrying') -> { text: 'Retrying…', badge: 'text-bg-warning' }
 */
export function statusOf(statuses, state) {
  return statuses[state] ?? { text: state ?? '', badge: 'text-bg-secondary' }
}

/** Whether an IP camera in `state` is being read (Start is done, Stop has something to stop). */
export function cameraRunning(state) {
  return state === 'starting' || state === 'connected' || state === 'retrying'
}
