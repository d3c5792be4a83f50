// The list's first page comes before everything else the viewer asks for. The server answers one
// request at a time, and at a million exchanges `/api/status` alone took 1.7 s (and the live
// feed's hello as long again): the list's first rows waited behind both. So the first page is
// asked for by the first module the entry runs (main.tsx), before React and the app, and the
// status and the live feed wait until it is shown. This module loads nothing of the app (no
// React, no i18next), so nothing runs before it.
import type { ExchangeListAnswer } from '../contract.ts';
import type { ListFilter } from './api-client.ts';
import { exchangesUrl, getJson } from './api-get.ts';
import { startLanguage } from './start-language.ts';
import { sessionFromLocation } from './session-path.ts';

/** The start-up requests wait for the first page at most this long (a list that never answers must not hold the status back). */
const WAIT_AT_MOST_MS = 3000;

const unfiltered = (filter: ListFilter) => !Object.values(filter).some((v) => v !== undefined && v !== '');

/** The element the server put the first page in (viewer/first-page-html.ts FIRST_PAGE_ELEMENT). */
const IN_PAGE = 'wirelog-first-page';

/**
 * The first page the server sent inside the viewer's page, when it is in the language the app
 * starts in (the server knows the browser's languages, not the choice remembered here); null
 * when there is none, or it does not read (then it is asked for, and a failure shown as usual).
 */
function firstPageInPage(): ExchangeListAnswer | null {
  const element = document.getElementById(IN_PAGE);
  if (element === null || element.dataset.lang !== startLanguage()) return null;
  try {
    return JSON.parse(element.textContent ?? '') as ExchangeListAnswer;
  } catch {
    return null;
  } finally {
    // 100 KB of text the page no longer needs.
    element.remove();
  }
}

// The app starts unfiltered: its first page is the one in the page, else asked for now, unless the path is a session page.
const listOpens = typeof window !== 'undefined' && sessionFromLocation() === undefined;
const inPage = listOpens ? firstPageInPage() : null;
let early: Promise<ExchangeListAnswer> | null = !listOpens
  ? null
  : inPage
    ? Promise.resolve(inPage)
    : getJson<ExchangeListAnswer>(exchangesUrl({}, undefined, startLanguage()));
/** The early page once it has arrived: the list's first render can show it at once. */
let arrived: ExchangeListAnswer | null = inPage;
early?.then(
  (page) => {
    arrived = page;
  },
  // Its failure is the list's to show when it takes the page; an unhandled rejection meanwhile is only noise.
  () => {},
);

let shown: () => void = () => {};
const firstShown = new Promise<void>((resolve) => {
  shown = resolve;
});

/** The page asked for early when it is the one `filter` wants (taken once), else null: ask for it now. */
export function earlyFirstPage(filter: ListFilter): Promise<ExchangeListAnswer> | null {
  const page = early;
  early = null;
  arrived = null;
  return page && unfiltered(filter) ? page : null;
}

/**
 * The early page when it has already arrived and is the one `filter` wants (taken once), else null:
 * the list then renders its rows in its first render instead of an empty list and then the rows.
 */
export function firstPageInHand(filter: ListFilter): ExchangeListAnswer | null {
  const page = arrived;
  if (page === null || !unfiltered(filter)) return null;
  early = null;
  arrived = null;
  return page;
}

/** The list's first page is on screen (or failed): the start-up requests held back may go. */
export function firstPageShown(): void {
  shown();
}

/**
 * Settles once the list's first page is shown and the browser is idle (at most WAIT_AT_MOST_MS
 * later): for the code the first screen does not need, whose compiling must not delay its paint.
 */
export function afterFirstPageIdle(): Promise<void> {
  return afterFirstPage().then(
    () =>
      new Promise<void>((resolve) => {
        if (typeof requestIdleCallback === 'function')
          requestIdleCallback(() => resolve(), { timeout: WAIT_AT_MOST_MS });
        else setTimeout(resolve, 0);
      }),
  );
}

/** Settles once the list's first page is shown, or WAIT_AT_MOST_MS after the app started. */
export function afterFirstPage(): Promise<void> {
  return Promise.race([firstShown, new Promise<void>((resolve) => setTimeout(resolve, WAIT_AT_MOST_MS))]);
}
