import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { en, type Messages } from './i18n/messages/en.ts';
import { zhCN } from './i18n/messages/zh-CN.ts';
import { viewerMessages } from './i18n/viewer-messages.ts';
import { CATALOGUE_MARK } from './viewer/catalogue-preload.ts';

const CATALOGUE_ID = '\0virtual:viewer-messages/';

// The viewer's catalogues (virtual:viewer-messages/en, /zh-CN): the part of each the viewer shows
// (i18n/viewer-messages.ts), as JSON.parse of one string, which V8 reads faster than the same
// object written as a literal (it is on the main thread before the first row).
function viewerCatalogues(): Plugin {
  const catalogues: Record<string, Messages> = {
    'virtual:viewer-messages/en': en,
    'virtual:viewer-messages/zh-CN': zhCN,
  };
  return {
    name: 'wirelog-viewer-messages',
    resolveId: (id) => (id in catalogues ? `\0${id}` : null),
    load(id) {
      const catalogue = id.startsWith('\0') ? catalogues[id.slice(1)] : undefined;
      if (!catalogue) return null;
      return `export default JSON.parse(${JSON.stringify(JSON.stringify(viewerMessages(catalogue)))});`;
    },
    // Names each catalogue chunk in the page, as a comment the server turns into a modulepreload
    // for the reader's language (viewer/first-page-html.ts): fetched beside the app's scripts,
    // not once they have run and asked for it.
    transformIndexHtml: {
      order: 'post',
      handler(html, context) {
        const marks = Object.values(context.bundle ?? {}).flatMap((chunk) => {
          const id = chunk.type === 'chunk' ? chunk.facadeModuleId : null;
          return id?.startsWith(CATALOGUE_ID)
            ? [`<!-- ${CATALOGUE_MARK} ${id.slice(CATALOGUE_ID.length)} /${chunk.fileName} -->`]
            : [];
        });
        return marks.length === 0 ? html : html.replace('</head>', `  ${marks.join('\n    ')}\n  </head>`);
      },
    },
  };
}

// The viewer app: built into dist/viewer, served by the Hono server on the UI port.
// `npm run dev` serves it with hot reload and passes /api to a running wirelog (port 8900); a
// change to the message catalogue needs a restart of `npm run dev` (the catalogue is read here).
export default defineConfig({
  root: 'viewer/app',
  plugins: [react(), viewerCatalogues()],
  build: { outDir: '../../dist/viewer', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8900', changeOrigin: true } } },
});
