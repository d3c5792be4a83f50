import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/**
 * The start-up entry (viewer/app/main.tsx) asks for the list's first page, then imports the app.
 * Vite preloads only an entry's static imports from index.html: this adds the app's chunk and its
 * own static imports, so they download beside the entry instead of after it has run.
 */
function preloadApp(): Plugin {
  return {
    name: 'wirelog-preload-app',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, { bundle }) {
        const chunks = Object.values(bundle ?? {}).flatMap((c) => (c.type === 'chunk' ? [c] : []));
        const app = chunks.find((c) => c.facadeModuleId?.endsWith('/viewer/app/app-start.tsx'));
        if (!app) throw new Error('vite.config.ts: the app chunk (viewer/app/app-start.tsx) is missing from the build');
        return [app.fileName, ...app.imports].map((file) => ({
          tag: 'link',
          attrs: { rel: 'modulepreload', crossorigin: true, href: `/${file}` },
          injectTo: 'head' as const,
        }));
      },
    },
  };
}

// The viewer app: built into dist/viewer, served by the Hono server on the UI port.
// `npm run dev` serves it with hot reload and passes /api to a running wirelog (port 8900).
export default defineConfig({
  root: 'viewer/app',
  plugins: [react(), preloadApp()],
  build: { outDir: '../../dist/viewer', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8900', changeOrigin: true } } },
});
