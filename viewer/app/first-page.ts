// The list's first page comes before the app's other start-up requests. The server answers one
// request at a time, and at a million exchanges `/api/status` alone took 1.7 s (and the live
// feed's hello as long again): the list's first rows waited behind both. So the first page is
// asked for as the app's code loads, and the status and the live feed wait until it is shown.
import type { ExchangeListAnswer } from '../contract.ts';
import { fetchExchanges, type ListFilter } from './api-client.ts';

/** The start-up requests wait for the first page at most this long (a list that never answers must not hold the status back). */
const WAIT_AT_MOST_MS = 3000;

const unfiltered = (filter: ListFilter) => !Object.values(filter).some((v) => v !== undefined && v !== '');

// The app starts unfiltered: its first page is asked for before React has drawn anything.
let early: Promise<ExchangeListAnswer> | null = typeof window === 'undefined' ? null : fetchExchanges({});
// Its failure is the list's to show when it takes the page; an unhandled rejection meanwhile is only noise.
early?.catch(() => {});

let shown: () => void = () => {};
const firstShown = new Promise<void>((resolve) => {
  shown = resolve;
});

/** The first page for `filter`: the one asked for early when it is that one (once), else asked for now. */
export function firstPage(filter: ListFilter): Promise<ExchangeListAnswer> {
  const page = early;
  early = null;
  return page && unfiltered(filter) ? page : fetchExchanges(filter);
}

/** The list's first page is on screen (or failed): the start-up requests held back may go. */
export function firstPageShown(): void {
  shown();
}

/** Settles once the list's first page is shown, or WAIT_AT_MOST_MS after the app started. */
export function afterFirstPage(): Promise<void> {
  return Promise.race([firstShown, new Promise<void>((resolve) => setTimeout(resolve, WAIT_AT_MOST_MS))]);
}
