// The app, rendered once the language's catalogue is in (i18n.ts), after the entry (main.tsx)
// has asked for the list's first page.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { showCodeNotLoaded } from './code-load.ts';
import { i18nReady } from './i18n.ts';

// The Chinese catalogue is a chunk: one that does not load leaves the message, not a blank page.
i18nReady.then(
  () =>
    createRoot(document.getElementById('root')!).render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  showCodeNotLoaded,
);
