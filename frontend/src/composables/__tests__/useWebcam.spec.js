import { describe, expect, it } from 'vitest'
import { cameraProblem } from '../useWebcam'

describe('cameraProblem', () => {
  it('explains an insecure page with the fix', () => {
    const p = cameraProblem(null, { secure: false, host: '192.168.1.20:5000' })
    expect(p.kind).toBe('insecure')
    expect(p.message).toContain('http://192.168.1.20:5000')
    expect(p.message).toContain('HTTPS')
    expect(p.message).toContain('localhost')
  })

  it.each([
    ['NotAllowedError', 'denied'],
    ['NotFoundError', 'no_camera'],
    ['OverconstrainedError', 'no_camera'],
    ['NotReadableError', 'busy'],
    ['TypeError', 'unknown'],
  ])('%s is %s', (name, kind) => {
    expect(cameraProblem({ name, message: 'x' }, { secure: true }).kind).toBe(kind)
  })
})
