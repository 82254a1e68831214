// The console is served by the service at /dashboard/ from dist/ (app/dashboard.py). Everything it
// loads comes from this origin: no CDN, no inline script or style (the service's CSP forbids both).
import { defineConfig } from 'vite'

export default defineConfig({
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    assetsInlineLimit: 0, // never data: URLs for scripts or fonts
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev`: the API of a running service (make run) behind Vite's dev server
    proxy: { '/v2': process.env.CS_API_URL ?? 'http://127.0.0.1:8080', '/dashboard/config.json': process.env.CS_API_URL ?? 'http://127.0.0.1:8080' },
  },
})
