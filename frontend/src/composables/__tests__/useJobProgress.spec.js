import { mount } from '@vue/test-utils'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { defineComponent, h } from 'vue'

const handlers = {}
const fakeSocket = { on: (event, fn) => { handlers[event] = fn }, off: vi.fn(), disconnect: vi.fn() }
vi.mock('../../api/jobs', () => ({ connectJobs: () => fakeSocket, getJob: vi.fn() }))

const { getJob } = await import('../../api/jobs')
const { useJobProgress } = await import('../useJobProgress')

function withSetup(composable) {
  let result
  mount(defineComponent({ setup() { result = composable(); return () => h('div') } }))
  return result
}

afterEach(() => vi.useRealTimers())

describe('useJobProgress', () => {
  it('follows its job events, ignores other jobs and never moves back', () => {
    const progress = withSetup(() => useJobProgress({ pollMs: 60000 }))
    progress.follow({ id: 'a', status: 'queued', progress: 0 })
    handlers.job({ id: 'a', status: 'running', progress: 0.5 })
    handlers.job({ id: 'b', status: 'running', progress: 0.9 })
    expect(progress.job.value.progress).toBe(0.5)
    handlers.job({ id: 'a', status: 'running', progress: 0.3 }) // a late poll answer
    expect(progress.job.value.progress).toBe(0.5)
    handlers.job({ id: 'a', status: 'done', progress: 1, video_url: '/api/jobs/a/video' })
    expect(progress.job.value).toMatchObject({ status: 'done', progress: 1, video_url: '/api/jobs/a/video' })
    expect(fakeSocket.disconnect).toHaveBeenCalled()
  })

  it('polls the job in case its events were missed', async () => {
    vi.useFakeTimers()
    getJob.mockResolvedValueOnce({ id: 'c', status: 'running', progress: 0.4 })
      .mockResolvedValueOnce({ id: 'c', status: 'failed', progress: 0.4, error: 'the video has no frames' })
    const progress = withSetup(() => useJobProgress({ pollMs: 1000 }))
    progress.follow({ id: 'c', status: 'queued', progress: 0 })
    await vi.advanceTimersByTimeAsync(1000)
    expect(progress.job.value.progress).toBe(0.4)
    await vi.advanceTimersByTimeAsync(1000)
    expect(progress.job.value).toMatchObject({ status: 'failed', error: 'the video has no frames' })
    await vi.advanceTimersByTimeAsync(5000)
    expect(getJob).toHaveBeenCalledTimes(2)
  })
})
