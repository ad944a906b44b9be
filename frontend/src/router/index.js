import { createRouter, createWebHistory } from 'vue-router'

export const routes = [
  { path: '/', redirect: { name: 'upload' } },
  { path: '/upload', name: 'upload', component: () => import('../views/UploadView.vue'), meta: { title: 'Upload' } },
  { path: '/live', name: 'live', component: () => import('../views/LiveView.vue'), meta: { title: 'Live camera' } },
  { path: '/dashboard', name: 'dashboard', component: () => import('../views/DashboardView.vue'), meta: { title: 'Dashboard' } },
  { path: '/sources', name: 'sources', component: () => import('../views/SourcesView.vue'), meta: { title: 'Sources' } },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('../views/NotFoundView.vue'), meta: { title: 'Not found' } },
]

const router = createRouter({ history: createWebHistory(import.meta.env.BASE_URL), routes })

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · MaskWatch` : 'MaskWatch'
})

export default router
