import { describe, expect, it, vi } from 'vitest'
import { createFrameLoop, framesPerSecond, useLiveDetections } from '../useLiveDetections'

function deferred() {
  let resolve, reject
  const promise = new Promise((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('createFrameLoop', () => {
  it('sends the next frame only after the previous answer came', async () => {
    const pending = []
    let captured = 0
    const send = vi.fn(() => { const d = deferred(); pending.push(d); return d.promise })
    const onAnswer = vi.fn()
    const loop = createFrameLoop({ capture: async () => ({ n: ++captured }), send, onAnswer })
    loop.start()
    await flush(); await flush()
    expect(send).toHaveBeenCalledTimes(1)
    expect(loop.inFlight).toBe(1)
    await flush(); await flush()
    expect(send).toHaveBeenCalledTimes(1) // still waiting: nothing queued behind a slow server
    pending[0].resolve({ faces: [] })
    await flush(); await flush(); await flush()
    expect(onAnswer).toHaveBeenCalledWith({ faces: [] }, { n: 1 })
    expect(send).toHaveBeenCalledTimes(2)
    expect(send.mock.calls[1][0]).toEqual({ n: 2 })
    loop.stop()
    pending[1].resolve({ faces: [] })
    await flush(); await flush()
    expect(send).toHaveBeenCalledTimes(2)
    expect(onAnswer).toHaveBeenCalledTimes(1) // an answer after stop is dropped
  })

  it('waits retryMs after a failed send and goes on', async () => {
    vi.useFakeTimers()
    const send = vi.fn().mockRejectedValueOnce(new Error('not connected')).mockResolvedValue({ faces: [] })
    const onError = vi.fn()
    const loop = createFrameLoop({ capture: async () => ({}), send, onAnswer() {}, onError, retryMs: 500 })
    loop.start()
    await vi.advanceTimersByTimeAsync(1)
    expect(onError).toHaveBeenCalledTimes(1)
    expect(send).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(498)
    expect(send).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(2)
    expect(send.mock.calls.length).toBeGreaterThanOrEqual(2)
    loop.stop()
    vi.useRealTimers()
  })

  it('a busy answer is not shown and the next frame waits the retry_ms the server names', async () => {
    vi.useFakeTimers()
    const send = vi.fn()
      .mockResolvedValueOnce({ error: 'busy', message: 'too many frames in progress', retry_ms: 300 })
      .mockResolvedValue({ faces: [] })
    const onAnswer = vi.fn()
    const loop = createFrameLoop({ capture: async () => ({}), send, onAnswer, retryMs: 500 })
    loop.start()
    await vi.advanceTimersByTimeAsync(1)
    expect(send).toHaveBeenCalledTimes(1)
    expect(onAnswer).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(297)
    expect(send).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(3)
    expect(send.mock.calls.length).toBeGreaterThanOrEqual(2)
    expect(onAnswer).toHaveBeenCalledWith({ faces: [] }, {})
    loop.stop()
    vi.useRealTimers()
  })

  it('does not send while the camera has no frame yet', async () => {
    vi.useFakeTimers()
    let ready = false
    const send = vi.fn().mockResolvedValue({})
    const loop = createFrameLoop({ capture: async () => (ready ? {} : null), send, onAnswer() {}, idleMs: 50 })
    loop.start()
    await vi.advanceTimersByTimeAsync(200)
    expect(send).not.toHaveBeenCalled()
    ready = true
    await vi.advanceTimersByTimeAsync(60)
    expect(send).toHaveBeenCalled()
    loop.stop()
    vi.useRealTimers()
  })
})

describe('framesPerSecond', () => {
  it('counts answers per second over the window', () => {
    expect(framesPerSecond([0, 100, 200, 300, 400], 400)).toBeCloseTo(10)
    expect(framesPerSecond([0, 5000, 5500, 6000], 6000, 3000)).toBeCloseTo(2)
    expect(framesPerSecond([100], 200)).toBe(0)
  })
})

describe('useLiveDetections connection refusals', () => {
  function fakeSocket() {
    const handlers = {}
    return {
      handlers, connected: false, active: true,
      on(event, fn) { handlers[event] = fn },
      off: vi.fn(() => { for (const k of Object.keys(handlers)) delete handlers[k] }),
      disconnect: vi.fn(),
      connect: vi.fn(),
    }
  }

  it('a connect refused with login_required stops and asks for a sign-in instead of retrying', () => {
    const sockets = []
    const connect = vi.fn(() => { const s = fakeSocket(); sockets.push(s); return s })
    const live = useLiveDetections({ capture: async () => null, connect })
    live.start({ name: 'door' })
    expect(connect).toHaveBeenCalledWith({ name: 'door' })
    sockets[0].active = false // socket.io gives up on a refusal by the server's connect handler
    sockets[0].handlers.connect_error(new Error('login_required'))
    expect(live.connection.value).toBe('login_required')
    expect(live.connectionMessage.value).toMatch(/sign-in/)
    expect(sockets[0].disconnect).toHaveBeenCalled()
    expect(sockets[0].handlers.connect_error).toBeUndefined() // nothing listens any more
    expect(sockets[0].connect).not.toHaveBeenCalled()
  })

  it('any other connect error keeps retrying as before', () => {
    const s = fakeSocket()
    const live = useLiveDetections({ capture: async () => null, connect: () => s })
    live.start()
    s.handlers.connect_error(new Error('websocket error'))
    expect(live.connection.value).toBe('reconnecting')
    expect(live.connectionMessage.value).toMatch(/retrying/)
    expect(s.disconnect).not.toHaveBeenCalled()
    live.stop()
  })
})
