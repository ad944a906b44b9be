import { describe, expect, it, vi } from 'vitest'
import { useJobsList } from '../useJobsList'

function fakeSocket() {
  const handlers = {}
  return {
    on(event, fn) { handlers[event] = fn },
    off: vi.fn(),
    disconnect: vi.fn(),
    fire(event, data) { return handlers[event]?.(data) },
  }
}

const job = (id, status, extra = {}) => ({ id, status, progress: 0, source_name: `${id}.mp4`, queue_position: null, ...extra })

function setup(listed) {
  const socket = fakeSocket()
  let answer = listed
  const api = {
    listJobs: vi.fn(async () => answer),
    cancelJob: vi.fn(async (id) => ({ ...job(id, 'cancelled'), source_name: undefined })),
    deleteJob: vi.fn(async () => null),
    connectJobs: vi.fn(() => socket),
  }
  const list = useJobsList({ api, refreshMs: 1e9 })
  return { list, socket, api, setAnswer: (a) => { answer = a } }
}

describe('useJobsList', () => {
  it('follows job events: progress never goes back, a finished job stays finished, a new one is loaded', async () => {
    const { list, socket, api, setAnswer } = setup([job('b', 'running', { progress: 0.5 }), job('a', 'done', { progress: 1 })])
    await list.load()
    list.connect()
    socket.fire('job', job('b', 'running', { progress: 0.4 })) // an older event arriving late
    expect(list.jobs.value[0].progress).toBe(0.5)
    expect(list.jobs.value[0].source_name).toBe('b.mp4') // events carry no source name: it is kept
    socket.fire('job', job('b', 'done', { progress: 1 }))
    socket.fire('job', job('b', 'running', { progress: 0.9 }))
    expect(list.jobs.value[0].status).toBe('done')

    setAnswer([job('c', 'queued', { queue_position: 1 }), ...list.jobs.value])
    await socket.fire('job', job('c', 'queued'))
    expect(api.listJobs).toHaveBeenCalledTimes(2)
    expect(list.jobs.value.map((j) => [j.id, j.queue_position])).toEqual([['c', 1], ['b', null], ['a', null]])
    list.stop()
  })

  it('cancels and deletes through the API and drops a job deleted elsewhere', async () => {
    const { list, socket, api } = setup([job('q', 'queued', { queue_position: 1 }), job('d', 'done'), job('e', 'failed')])
    await list.load()
    list.connect()
    await list.cancel(list.jobs.value[0])
    expect(api.cancelJob).toHaveBeenCalledWith('q')
    expect(list.jobs.value[0]).toMatchObject({ id: 'q', status: 'cancelled', queue_position: null, source_name: 'q.mp4' })
    await list.remove(list.jobs.value[1])
    expect(api.deleteJob).toHaveBeenCalledWith('d')
    socket.fire('job_deleted', { id: 'e' })
    expect(list.jobs.value.map((j) => j.id)).toEqual(['q'])
    list.stop()
  })

  it('says when the list cannot be loaded', async () => {
    const { list, api } = setup([])
    api.listJobs.mockRejectedValueOnce(new Error('the server is away'))
    await list.load()
    expect(list.error.value).toBe('Could not load the jobs: the server is away')
    expect(list.loaded.value).toBe(true)
  })
})
