// Vite config for the Evently web app: builds web/ into dist/web, which the API process serves.
/// <reference types="node" />
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

// Note: a build started with NODE_ENV=test or development (e.g. from a test runner) produces
// React's development bundle; build with NODE_ENV unset or production.
export default defineConfig({
  root: webRoot,
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: true,
    // recharts (admin only) is split into its own lazy chunk; the buyer bundle stays small.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': 'http://localhost:3000',
    },
  },
});
