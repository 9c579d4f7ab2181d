import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The Fastify server serves dist/ (with index.html for client routes), so the build is the app.
// `vite` (serve) proxies the API to a running server for quick UI work.
const apiTarget = process.env.REVMEMO_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      '/trpc': { target: apiTarget, changeOrigin: false },
      '/api': { target: apiTarget, changeOrigin: false },
    },
  },
});
