// The viewer's page with the list's first page inside it (issue 28: the first rows in under 300 ms
// at a million exchanges). The app would otherwise ask for that page only once its code had
// arrived and run, and its rows waited for that round trip and for the read behind it. Here the
// page goes out in two parts: the head (the app's scripts and styles) at once, so the browser
// fetches and compiles them while the server reads, then the first page, the same JSON
// `/api/exchanges` gives for the list as the app opens, in an inert
// `<script type="application/json">` (no inline code: the CSP allows none) that the app takes in
// place of asking (viewer/app/first-page.ts). A read that fails leaves the page without it: the
// app then asks, and shows the failure as it always did.
import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { exchangesUrl } from './app/api-get.ts';
import { withCataloguePreload } from './catalogue-preload.ts';
import { requestLanguage } from './routes/shared.ts';

/** The element's id, read by viewer/app/first-page.ts. */
export const FIRST_PAGE_ELEMENT = 'wirelog-first-page';

/** Reads one API path as the app would have (the same handler, the same JSON); null when it did not answer 200. */
export type ApiRead = (path: string) => Promise<string | null>;

/**
 * JSON safe inside a script element: `<` is written as its escape, so no `</script>` or `<!--`
 * in a captured text can end the element or start a comment (JSON.parse reads the escape back).
 * U+2028 and U+2029 are valid in JSON and in an inert script element: left as they are.
 */
export function jsonInScript(json: string): string {
  return json.replace(/</g, '\\u003c');
}

/** The session pages open without the list: no first page is put in theirs (viewer/app/session-path.ts). */
const SESSION_PATH = /^\/sessions(?:\/[^/]+)?\/?$/;

/** Timer ticks (a millisecond each) the read waits at most for the head to be written. */
const HEAD_WAIT_TICKS = 10;

/**
 * Settles once Node has been handed the head (`response`, node-server's own response: absent
 * in Hono's in-memory requests), or after HEAD_WAIT_TICKS ticks. @hono/node-server holds a
 * stream's first chunks back until a timer of its own has fired, to find the length: a read
 * started before it would hold this thread, and the head would go out with the page after it.
 */
async function headWritten(response: ServerResponse | undefined): Promise<void> {
  for (let tick = 0; tick < HEAD_WAIT_TICKS && response?.headersSent === false; tick++)
    await new Promise((resolve) => setTimeout(resolve, 1));
}

/**
 * The viewer's page (`built`, the built index.html) for this request, streamed: all of it before
 * `</body>` at once, then the list's first page (when the path opens the list), then the end.
 */
export function pageWithFirstPage(c: Context, built: string, read: ApiRead): Response {
  const lang = requestLanguage(c);
  // The reader's catalogue chunk is fetched with the scripts (viewer/catalogue-preload.ts).
  const index = withCataloguePreload(built, lang);
  const cut = index.lastIndexOf('</body>');
  // A browser's own request for a file the viewer has not (its /favicon.ico: Sec-Fetch-Dest image)
  // gets the page too, but not a read of the store it drops. Without the header (curl): as a document.
  const dest = c.req.header('sec-fetch-dest');
  if (cut < 0 || SESSION_PATH.test(c.req.path) || (dest !== undefined && dest !== 'document')) return c.html(index);
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(index.slice(0, cut)));
      // The head goes out before the read (a synchronous one, at a million exchanges tens of
      // milliseconds) holds this thread: the browser asks for the scripts meanwhile.
      await headWritten((c.env as { outgoing?: ServerResponse } | undefined)?.outgoing);
      const json = await read(exchangesUrl({}, undefined, lang)).catch(() => null);
      if (json !== null)
        controller.enqueue(
          encoder.encode(
            `<script type="application/json" id="${FIRST_PAGE_ELEMENT}" data-lang="${lang}">${jsonInScript(json)}</script>\n`,
          ),
        );
      controller.enqueue(encoder.encode(index.slice(cut)));
      controller.close();
    },
  });
  return c.body(body, 200, { 'content-type': 'text/html; charset=UTF-8' });
}
