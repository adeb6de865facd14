import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The portal SPA. `npm run build:web` writes web/dist, which `plinth serve` serves at `/` (any
 * non-/api GET falls back to index.html). `npx vite --config web/vite.config.ts` runs the dev
 * server and proxies /api to a `plinth serve` on port 7007 (PLINTH_API_URL overrides it).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
  },
  server: {
    proxy: {
      // Server-Sent Events (/api/events/stream) pass through this proxy unbuffered.
      '/api': { target: process.env.PLINTH_API_URL ?? 'http://127.0.0.1:7007' },
    },
  },
  preview: {
    proxy: { '/api': { target: process.env.PLINTH_API_URL ?? 'http://127.0.0.1:7007' } },
  },
});
