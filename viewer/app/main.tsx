// The start-up entry, kept small: it asks for the list's first page at once (first-page.ts), then
// loads the app, whose code (React, i18next, the list) takes a while to arrive and parse; the page
// is on its way, often already here, meanwhile. index.html also preloads the app's chunk
// (vite.config.ts), so it is not asked for only once this entry has run.
import './first-page.ts';
import './styles.css';
import { showCodeNotLoaded } from './code-load.ts';

import('./app-start.tsx').catch(showCodeNotLoaded);
