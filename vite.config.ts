import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The viewer app: built into dist/viewer, served by the Hono server on the UI port.
// `npm run dev` serves it with hot reload and passes /api to a running wirelog (port 8900).
export default defineConfig({
  root: 'viewer/app',
  plugins: [react()],
  build: { outDir: '../../dist/viewer', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8900', changeOrigin: true } } },
});
