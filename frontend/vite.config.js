import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// `npm run dev` proxies the API and Socket.IO to `maskwatch serve` on :5000.
const backend = process.env.MASKWATCH_BACKEND || 'http://127.0.0.1:5000'

export default defineConfig({
  plugins: [vue()],
  server: {
    proxy: {
      '/api': backend,
      '/socket.io': { target: backend, ws: true },
    },
  },
  // pluginTimings: rolldown's note on slow plugins only reflects a busy 2-core machine here
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 600, rolldownOptions: { checks: { pluginTimings: false } } },
  test: { environment: 'jsdom', include: ['src/**/__tests__/*.spec.js'] },
})
