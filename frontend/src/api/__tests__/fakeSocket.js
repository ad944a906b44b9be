import { vi } from 'vitest'

/**
 * A socket.io client stand-in for the live pages: handlers by event, fire(event, data) plays the server,
 * emitted keeps [event, data] of every emit; ack(event, data) (when set) answers emits that want one.
 *
 * Example: const s = fakeSocket(); connect.mockReturnValue(s); ...; s.fire('connect')
 */
export function fakeSocket() {
  const handlers = {}
  return {
    handlers,
    connected: false,
    active: true,
    emitted: [],
    ack: null,
    on(event, fn) { handlers[event] = fn },
    off: vi.fn(() => { for (const k of Object.keys(handlers)) delete handlers[k] }),
    disconnect: vi.fn(),
    connect: vi.fn(),
    emit(event, data, answer) {
      this.emitted.push([event, data])
      if (answer && this.ack) answer(this.ack(event, data))
    },
    fire(event, data) {
      if (event === 'connect') this.connected = true
      handlers[event]?.(data)
    },
  }
}
