import { computed, watch } from 'vue'
import { LOGIN_REQUIRED } from '../api/live'
import { useAuthStore } from '../stores/auth'

/**
 * Whether the server refused a live connection for want of a sign-in (LIVE_PUBLIC off, or a session that
 * ended while the page was open): `connection` is a ref of useLiveDetections' or useCameraFeed's state.
 * When it happens the auth store hears of it (the navbar stops showing the user) and onRefused runs.
 *
 * Example: const loginNeeded = useLoginRefusal(feed.connection)
 */
export function useLoginRefusal(connection, { onRefused = () => {} } = {}) {
  const auth = useAuthStore()
  const refused = computed(() => connection.value === LOGIN_REQUIRED)
  watch(refused, (now) => {
    if (!now) return
    auth.signedOut()
    onRefused()
  })
  return refused
}
