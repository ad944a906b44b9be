import { describe, expect, it, vi } from 'vitest'
import { cameraStateOf, useCameraFeed } from '../useCameraFeed'

function fakeSocket() {
  const handlers = {}
  return {
    handlers,
    connected: false,
    emitted: [],
    on(event, fn) { handlers[event] = fn },
    off: vi.fn(function off() { for (const k of Object.keys(handlers)) delete handlers[k] }),
    disconnect: vi.fn(),
    connect: vi.fn(),
    emit(event, data, ack) { this.emitted.push([event, data]); if (ack) this.ack?.(event, data, ack) },
    fire(event, data) { handlers[event]?.(data) },
  }
}

function setup({ cameras = [{ id: 3, name: 'door', camera: { state: 'stopped', error: null } }] } = {}) {
  const sockets = []
  const connect = vi.fn(() => {
    const s = fakeSocket()
    s.ack = (event, data, ack) => ack({ camera_id: data.camera_id, camera: { state: 'stopped', error: null } })
    sockets.push(s)
    return s
  })
  let n = 0
  const urls = { create: vi.fn(() => `blob:${++n}`), revoke: vi.fn() }
  const api = {
    listCameras: vi.fn(async () => cameras),
    startCamera: vi.fn(async (id) => ({ id, camera: { state: 'starting', error: null } })),
    stopCamera: vi.fn(async (id) => ({ id, camera: { state: 'stopped', error: null } })),
  }
  const onAlert = vi.fn()
  const feed = useCameraFeed({ onAlert, api, connect, urls })
  return { feed, sockets, connect, urls, api, onAlert }
}

const jpeg = () => new Uint8Array([0xff, 0xd8, 0xff, 0xd9])

describe('cameraStateOf', () => {
  it('reads an API camera, a watch answer or a camera_state event', () => {
    expect(cameraStateOf({ id: 1, camera: { state: 'failed', error: 'no route' } })).toEqual({ state: 'failed', error: 'no route' })
    expect(cameraStateOf({ camera_id: 1, state: 'retrying', error: 'the stream ended' })).toEqual({ state: 'retrying', error: 'the stream ended' })
    expect(cameraStateOf(null)).toEqual({ state: 'stopped', error: null })
  })
})

describe('useCameraFeed', () => {
  it('watches the chosen camera on connect, with its own source id', async () => {
    const { feed, sockets, connect } = setup()
    await feed.load()
    expect(feed.cameras.value).toHaveLength(1)
    feed.watch(3)
    expect(connect).toHaveBeenCalledWith({ sourceId: 3 })
    expect(feed.connection.value).toBe('connecting')
    sockets[0].connected = true
    sockets[0].fire('connect')
    expect(sockets[0].emitted).toEqual([['watch', { camera_id: 3 }]])
    expect(feed.connection.value).toBe('connected')
    expect(feed.state.value).toBe('stopped')
  })

  it('follows camera_state: connected, retrying with its reason, failed; ignores other cameras', async () => {
    const { feed, sockets } = setup()
    await feed.load()
    feed.watch(3)
    const s = sockets[0]
    s.fire('camera_state', { camera_id: 3, state: 'connected', error: null })
    expect(feed.state.value).toBe('connected')
    s.fire('camera_state', { camera_id: 9, state: 'failed', error: 'other camera' })
    expect(feed.state.value).toBe('connected')
    s.fire('camera_state', { camera_id: 3, state: 'retrying', error: 'the stream ended' })
    expect(feed.state.value).toBe('retrying')
    expect(feed.error.value).toBe('the stream ended')
    s.fire('camera_state', { camera_id: 3, state: 'failed', error: 'no such file' })
    expect(feed.state.value).toBe('failed')
    expect(feed.error.value).toBe('no such file')
    expect(feed.cameras.value[0].camera.state).toBe('failed') // the picker's list follows too
  })

  it('shows each frame through a new blob URL and revokes the one before', async () => {
    const { feed, sockets, urls } = setup()
    feed.watch(3)
    const s = sockets[0]
    const face = { box: [10, 10, 50, 60], label: 'no_mask', score: 0.9, track_id: 1 }
    s.fire('camera', { camera_id: 3, faces: [face], counts: { no_mask: 1 }, width: 320, height: 240, ms: 12, image: jpeg() })
    expect(feed.imageUrl.value).toBe('blob:1')
    expect(urls.create.mock.calls[0][0]).toBeInstanceOf(Blob)
    expect(urls.create.mock.calls[0][0].type).toBe('image/jpeg')
    expect(feed.faces.value).toEqual([face])
    expect(feed.counts.value.no_mask).toBe(1)
    expect(feed.frameSize.value).toEqual({ width: 320, height: 240 })
    expect(urls.revoke).not.toHaveBeenCalled()
    s.fire('camera', { camera_id: 3, faces: [], counts: {}, width: 320, height: 240, ms: 11, image: jpeg() })
    expect(feed.imageUrl.value).toBe('blob:2')
    expect(urls.revoke).toHaveBeenCalledWith('blob:1')
    s.fire('camera', { camera_id: 4, faces: [face], image: jpeg() }) // not ours
    expect(urls.create).toHaveBeenCalledTimes(2)
    feed.unwatch()
    expect(urls.revoke).toHaveBeenCalledWith('blob:2')
    expect(feed.imageUrl.value).toBe(null)
  })

  it('switching cameras unwatches, disconnects and revokes the last picture', async () => {
    const { feed, sockets, urls } = setup()
    feed.watch(3)
    sockets[0].connected = true
    sockets[0].fire('camera', { camera_id: 3, faces: [], image: jpeg() })
    feed.watch(4)
    expect(sockets[0].emitted).toContainEqual(['unwatch', { camera_id: 3 }])
    expect(sockets[0].disconnect).toHaveBeenCalled()
    expect(urls.revoke).toHaveBeenCalledWith('blob:1')
    expect(sockets).toHaveLength(2)
    expect(feed.cameraId.value).toBe(4)
  })

  it('passes on alerts of the watched camera only', () => {
    const { feed, sockets, onAlert } = setup()
    feed.watch(3)
    sockets[0].fire('alert', { camera_id: 5, verdict: 'no_mask' })
    sockets[0].fire('alert', { camera_id: 3, verdict: 'no_mask', message: 'Please wear a mask' })
    expect(onAlert).toHaveBeenCalledTimes(1)
    expect(onAlert.mock.calls[0][0].camera_id).toBe(3)
  })

  it('start and stop call the API and take its state; an error is kept to show', async () => {
    const { feed, api } = setup()
    feed.watch(3)
    await feed.start()
    expect(api.startCamera).toHaveBeenCalledWith(3)
    expect(feed.state.value).toBe('starting')
    await feed.stop()
    expect(api.stopCamera).toHaveBeenCalledWith(3)
    expect(feed.state.value).toBe('stopped')
    api.startCamera.mockRejectedValueOnce(new Error('no camera 3'))
    await feed.start()
    expect(feed.actionError.value).toBe('no camera 3')
    expect(feed.busy.value).toBe(false)
  })

  it('a connect refused with login_required stops and says so; other errors reconnect', async () => {
    const { feed, sockets } = setup()
    feed.watch(3)
    sockets[0].fire('connect_error', new Error('xhr poll error'))
    expect(feed.connection.value).toBe('reconnecting')
    expect(sockets[0].disconnect).not.toHaveBeenCalled()
    sockets[0].fire('connect_error', new Error('login_required'))
    expect(feed.connection.value).toBe('login_required')
    expect(sockets[0].disconnect).toHaveBeenCalled()
    expect(sockets[0].off).toHaveBeenCalled()
  })

  it('an empty or failed camera list leaves no cameras', async () => {
    const { feed, api } = setup({ cameras: [] })
    expect(await feed.load()).toEqual([])
    api.listCameras.mockRejectedValueOnce(new Error('down'))
    await feed.load()
    expect(feed.cameras.value).toEqual([])
    expect(feed.loadError.value).toBe('down')
  })
})
