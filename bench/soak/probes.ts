// Storage lag, seen from outside: a probe request every few seconds with a unique marker (on
// host 127.0.0.1, which no other soak traffic uses), then the time from its end at the client
// until the viewer's API lists it, and lists it ended; and, when Chromium is there, until a
// viewer tab left open shows it.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { chromium, type Browser, type BrowserServer, type Page } from 'playwright-core';
import { ProxyAgent, request } from 'undici';
import { CHROMIUM } from '../../test/support/browser.ts';
import { causeOf, sleep } from './common.ts';
import { trackPid } from './processes.ts';

export interface ProbeRecord {
  n: number;
  endedAt: number;
  cause: string | null;
  /** When the API first listed it (any state), and first listed it ended. */
  listedAt?: number;
  endedInApiAt?: number;
  /** When the viewer tab first showed it. */
  tabAt?: number;
}

const OPEN = new Set(['pending', 'streaming']);

export class Probes {
  readonly records: ProbeRecord[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];
  private dispatcher: ProxyAgent;

  constructor(
    proxyUrl: string,
    caPem: string,
    private upstreamPort: number,
    private viewerUrl: string,
    private everyMs: number,
  ) {
    this.dispatcher = new ProxyAgent({
      uri: proxyUrl,
      requestTls: { ca: caPem },
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  }

  start(): void {
    this.loops.push(this.send(), this.poll());
  }

  private async send(): Promise<void> {
    for (let n = 0; !this.stopped; n++) {
      const r: ProbeRecord = { n, endedAt: 0, cause: null };
      try {
        const res = await request(`https://127.0.0.1:${this.upstreamPort}/v1/models?probe=p${n}`, {
          dispatcher: this.dispatcher,
        });
        await res.body.arrayBuffer();
        if (res.statusCode !== 200) r.cause = `HTTP ${res.statusCode}`;
      } catch (err) {
        r.cause = causeOf(err);
      }
      r.endedAt = Date.now();
      this.records.push(r);
      await sleep(this.everyMs);
    }
  }

  private async poll(): Promise<void> {
    while (!this.stopped) {
      try {
        const res = await fetch(`${this.viewerUrl}/api/exchanges?host=127.0.0.1&limit=50`, {
          signal: AbortSignal.timeout(5000),
        });
        const now = Date.now();
        const { exchanges } = (await res.json()) as { exchanges: { url: string; state: string }[] };
        for (const e of exchanges) {
          const n = /[?&]probe=p(\d+)/.exec(e.url)?.[1];
          const r = n === undefined ? undefined : this.records[Number(n)];
          if (!r || r.cause) continue;
          r.listedAt ??= now;
          if (!OPEN.has(e.state)) r.endedInApiAt ??= now;
        }
      } catch {
        // wirelog is down (the kill) or slow: the next poll tells
      }
      await sleep(100);
    }
  }

  /** Probes the tab has not shown yet, by marker. */
  waitingForTab(): ProbeRecord[] {
    return this.records.filter((r) => !r.cause && r.tabAt === undefined);
  }

  /** Keeps polling until every probe is listed ended, or `ms` passed. */
  async settle(ms: number): Promise<void> {
    const deadline = performance.now() + ms;
    while (performance.now() < deadline && this.records.some((r) => !r.cause && r.endedInApiAt === undefined))
      await sleep(200);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.race([Promise.all(this.loops), sleep(35_000)]);
    await Promise.race([this.dispatcher.close(), sleep(5000)]);
  }
}

/** A viewer tab in Debian's Chromium, left open as a user leaves it; null without /usr/bin/chromium. */
export class ViewerTab {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private constructor(
    private server: BrowserServer,
    private browser: Browser,
    private page: Page,
  ) {}

  get pid(): number | undefined {
    return this.server.process().pid;
  }

  static async open(viewerUrl: string): Promise<ViewerTab | null> {
    if (!fs.existsSync(CHROMIUM)) return null;
    const server = await chromium.launchServer({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      timeout: 60_000,
    });
    trackPid(server.process().pid);
    try {
      const browser = await chromium.connect(server.wsEndpoint(), { timeout: 60_000 });
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      // The list is virtualised: a row is in the page only while it is on screen, and at 60 small
      // requests a second a probe's row scrolls off in well under the second between two looks
      // (22 of 102 probes were never seen that way). Every row the page renders is noted as it
      // is added, with the page's time (the same clock as this process's).
      // A string, not a function: tsx compiles functions with helpers (__name) the page lacks.
      await page.addInitScript(`
        const seen = new Map();
        window.probesSeen = seen;
        // Text node by text node: a row's cells run together in its textContent ("probe=p7" then "200").
        function note(text) {
          for (const m of (text || '').matchAll(/probe=p(\\d+)/g)) if (!seen.has(Number(m[1]))) seen.set(Number(m[1]), Date.now());
        }
        function noteAll(node) {
          if (node.nodeType === Node.TEXT_NODE) return note(node.data);
          const walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
          for (let t = walker.nextNode(); t; t = walker.nextNode()) note(t.data);
        }
        new MutationObserver((records) => {
          for (const r of records) {
            if (r.type === 'characterData') note(r.target.data);
            for (const node of r.addedNodes) noteAll(node);
          }
        }).observe(document, { childList: true, subtree: true, characterData: true });
      `);
      await page.goto(viewerUrl, { timeout: 60_000 });
      return new ViewerTab(server, browser, page);
    } catch (err) {
      await server.kill();
      throw err;
    }
  }

  /** Every second, which waiting probes the tab has rendered, and when it first did. */
  watch(probes: Probes): void {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const seen = await Promise.race([
            this.page.evaluate(() => [...(window as unknown as { probesSeen: Map<number, number> }).probesSeen]),
            sleep(5000).then(() => [] as [number, number][]),
          ]);
          const shownAt = new Map(seen);
          for (const r of probes.waitingForTab()) if (shownAt.has(r.n)) r.tabAt = shownAt.get(r.n);
        } catch {
          // the page is reloading or wirelog is down
        }
        await sleep(1000);
      }
    })();
  }

  async close(): Promise<void> {
    this.stopped = true;
    await Promise.race([this.loop, sleep(10_000)]);
    await Promise.race([this.browser.close().catch(() => undefined), sleep(10_000)]);
    await Promise.race([this.server.kill(), sleep(10_000)]);
  }
}
