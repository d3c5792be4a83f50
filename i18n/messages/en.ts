// English: the catalogue's shape. zh-CN.ts must have every key (the type checks it, and
// test/i18n.test.ts checks that both use the same {{placeholders}}).
export const en = {
  language: {
    name: 'English',
    switch: 'Language',
  },
  cli: {
    usage: `wirelog {{version}}: see what your AI tools send to model providers, and what comes back

  wirelog [start]          run the proxy (127.0.0.1:8899) and the viewer (http://127.0.0.1:8900)
  wirelog run -- CMD ...   run a command with its traffic captured
  wirelog env              print the proxy and CA variables for a shell
  wirelog url BASE_URL     the gateway form of a client's base URL (no proxy setting, no CA)
  wirelog ca               show the CA and how to trust it
  wirelog list             recent exchanges
  wirelog export --har F   write captures as HAR
  wirelog import F.har     read a HAR (Chrome, Playwright, mitmproxy) as exchanges
  wirelog doctor           what went wrong in recent calls, and the fix
  wirelog replay ID        send a captured call again (edited, or with the fix applied)
  wirelog codex-config ID  a Codex provider block from a call that worked

wirelog COMMAND --help for its flags; --lang en|zh-CN (or WIRELOG_LANG) for the language.`,
    unknownCommand: 'unknown command "{{name}}" (commands: {{commands}}; see wirelog --help)',
  },
  topbar: {
    retention: 'keeps up to {{mb}} MB; the oldest go first',
    retentionDays: 'keeps up to {{mb}} MB and {{days}} days; the oldest go first',
    exportHar: 'Export HAR',
    importHar: 'Import HAR',
    importHint: 'Chrome DevTools, Playwright, mitmproxy or wirelog HAR; or drop it on the page',
    clearAll: 'Clear all',
  },
};

type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
export type Messages = Shape<typeof en>;
