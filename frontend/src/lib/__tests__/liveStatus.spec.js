import { describe, expect, it } from 'vitest'
import { CAMERA_STATUS, cameraRunning, CONNECTION_STATUS, statusOf } from '../liveStatus'

describe('statusOf', () => {
  it('gives the words and badge colour of the webcam connection', () => {
    expect(statusOf(CONNECTION_STATUS, 'idle')).toEqual({ text: 'Stopped', badge: 'text-bg-secondary' })
    expect(statusOf(CONNECTION_STATUS, 'connected')).toEqual({ text: 'Connected', badge: 'text-bg-success' })
    expect(statusOf(CONNECTION_STATUS, 'reconnecting')).toEqual({ text: 'Reconnecting…', badge: 'text-bg-warning' })
    expect(statusOf(CONNECTION_STATUS, 'failed')).toEqual({ text: 'Disconnected', badge: 'text-bg-danger' })
  })

  it('gives the words and badge colour of an IP camera', () => {
    expect(statusOf(CAMERA_STATUS, 'stopped').text).toBe('Stopped')
    expect(statusOf(CAMERA_STATUS, 'starting').text).toBe('Starting…')
    expect(statusOf(CAMERA_STATUS, 'retrying')).toEqual({ text: 'Retrying…', badge: 'text-bg-warning' })
    expect(statusOf(CAMERA_STATUS, 'failed')).toEqual({ text: 'Failed', badge: 'text-bg-danger' })
  })

  it('shows a state it does not know as itself, in grey', () => {
    expect(statusOf(CAMERA_STATUS, 'paused')).toEqual({ text: 'paused', badge: 'text-bg-secondary' })
    expect(statusOf(CONNECTION_STATUS, undefined)).toEqual({ text: '', badge: 'text-bg-secondary' })
  })
})

describe('cameraRunning', () => {
  it('is true while the server reads the camera or tries to', () => {
    expect(['stopped', 'starting', 'connected', 'retrying', 'failed'].filter(cameraRunning))
      .toEqual(['starting', 'connected', 'retrying'])
  })
})
