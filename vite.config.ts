import { defineConfig } from 'vite';

// The PWA (service worker, workbox-window) and the WebRTC alias for simple-peer come with the app
// and network issues; this config builds the page and checks that src/core bundles for browsers.
export default defineConfig({
  build: { target: 'es2022', outDir: 'dist', sourcemap: true },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
