import { createRouter, createWebHistory } from 'vue-router'
import { onAuthProblem } from '../api/http'
import { accessRedirect } from '../lib/access'
import { useAuthStore } from '../stores/auth'

// meta.access: who may see a page without signing in (lib/access.js); none means signed-in users only.
// meta.navbar: the navbar link a page counts under when it has none of its own.
export const routes = [
  { path: '/', redirect: { name: 'upload' } },
  { path: '/upload', name: 'upload', component: () => import('../views/UploadView.vue'), meta: { title: 'Upload', access: 'uploads' } },
  { path: '/jobs', name: 'jobs', component: () => import('../views/JobsView.vue'), meta: { title: 'Jobs' } },
  { path: '/live', name: 'live', component: () => import('../views/WebcamView.vue'), meta: { title: 'Live camera', access: 'live' } },
  // IP cameras are for signed-in users only, also when the webcam page is public
  { path: '/live/cameras/:id(\\d+)', name: 'live-camera', component: () => import('../views/CameraWatchView.vue'),
    props: (route) => ({ cameraId: Number(route.params.id) }), meta: { title: 'IP camera', navbar: 'live' } },
  { path: '/dashboard', name: 'dashboard', component: () => import('../views/DashboardView.vue'), meta: { title: 'Dashboard' } },
  { path: '/sources', name: 'sources', component: () => import('../views/SourcesView.vue'), meta: { title: 'Sources' } },
  { path: '/settings', name: 'settings', component: () => import('../views/SettingsView.vue'), meta: { title: 'Settings' } },
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { title: 'Sign in', access: 'anyone' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('../views/NotFoundView.vue'), meta: { title: 'Not found', access: 'anyone' } },
]

/** The app's router: every navigation waits for the first GET /api/auth/me, then asks lib/access.js. */
export function createAppRouter(history = createWebHistory(import.meta.env.BASE_URL)) {
  const router = createRouter({ history, routes })

  router.beforeEach(async (to) => {
    const auth = useAuthStore()
    await auth.ready()
    return accessRedirect(to, auth) ?? true
  })

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · MaskWatch` : 'MaskWatch'
  })

  // The session ended (expired, password changed elsewhere) or its CSRF token changed: a page that needs a
  // login goes to the login page and back; an open page (public live, the login page itself) stays.
  onAuthProblem((error) => {
    const auth = useAuthStore()
    if (error.code === 'csrf_failed') {
      auth.refresh()
      return
    }
    auth.signedOut()
    const to = accessRedirect(router.currentRoute.value, auth)
    if (to) router.push(to)
  })

  return router
}

export default createAppRouter()
