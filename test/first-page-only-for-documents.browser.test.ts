// The list's first page goes inside the viewer's page only when a browser opens it as a document
// (viewer/first-page-html.ts). A browser asks on its own for /favicon.ico (Sec-Fetch-Dest: image)
// of every page that names no icon, and the viewer answers every unknown path with its page: that
// answer then read the list's first page too, a second synchronous read of the store on the thread
// that forwards the proxy's traffic at each opening, for bytes the browser drops.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_PAGE_ELEMENT } from '../viewer/first-page-html.ts';
import { launchBrowser } from './support/browser.ts';
import { startHarness, type Harness } from './support/harness.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** The requests Chromium makes when it opens a page like the viewer's (no icon named), as a server sees them. */
async function browserRequests(): Promise<{ path: string; headers: http.IncomingHttpHeaders }[]> {
  const seen: { path: string; headers: http.IncomingHttpHeaders }[] = [];
  let faviconAsked: () => void = () => {};
  const asked = new Promise<void>((resolve) => {
    faviconAsked = resolve;
  });
  const server = http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    if (req.url === '/favicon.ico') faviconAsked();
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end('<!doctype html><html><head><title>t</title></head><body><div id="root"></div></body></html>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      asked,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('Chromium never asked for /favicon.ico')), 15_000);
      }),
    ]).finally(() => clearTimeout(timer));
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  }
  return seen;
}

/** Whether the viewer's answer to `path`, asked with `headers`, holds the list's first page. */
async function holdsFirstPage(path: string, headers: Record<string, string>): Promise<boolean> {
  const answer = await request(`${h.wirelog.viewer!.url}${path}`, { headers });
  return (await answer.body.text()).includes(`id="${FIRST_PAGE_ELEMENT}"`);
}

describe("the list's first page in the viewer's page", () => {
  it("is read for the browser's document, not for the favicon it asks for on its own", async () => {
    const seen = await browserRequests();
    const fetchHeaders = (path: string) => {
      const found = seen.find((r) => r.path === path);
      expect(found, `Chromium asked for ${path}`).toBeDefined();
      const pick = ['sec-fetch-dest', 'sec-fetch-mode', 'sec-fetch-site', 'accept'] as const;
      return Object.fromEntries(
        pick.filter((k) => found!.headers[k] !== undefined).map((k) => [k, String(found!.headers[k])]),
      );
    };
    const document = fetchHeaders('/');
    const favicon = fetchHeaders('/favicon.ico');
    expect(favicon['sec-fetch-dest']).toBe('image');
    expect(await holdsFirstPage('/', document)).toBe(true);
    expect(await holdsFirstPage('/exchanges/1', document)).toBe(true);
    // A client that says nothing of what it asks for (curl) gets the page as a browser's document.
    expect(await holdsFirstPage('/', {})).toBe(true);
    expect(await holdsFirstPage('/favicon.ico', favicon)).toBe(false);
  }, 60_000);
});
