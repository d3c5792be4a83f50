// The viewer's entry. first-page.ts comes first: modules run in import order, so the list's first
// page is asked for before React, i18next and the app have run (its answer arrives while they do).
// A small entry of its own that asked before the app's code had even arrived was measured slower
// at a million exchanges on a loaded machine: the page's read held the server while the app's
// chunks waited behind it (bench/scale.ts --browser-only, docs in the commit).
import './first-page.ts';
import './styles.css';
import './app-start.tsx';
