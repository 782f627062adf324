import { defineConfig } from 'vite';

// The PWA (service worker, workbox-window) comes with the app issue.
export default defineConfig({
  resolve: {
    // simple-peer's package entry needs Node's `global`; its browser build does not (TOOLCHAIN.md).
    alias: { 'simple-peer': 'simple-peer/simplepeer.min.js' },
  },
  build: { target: 'es2022', outDir: 'dist', sourcemap: true },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
