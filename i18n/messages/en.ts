// English: the catalogue's shape. zh-CN.ts must have every key (the type checks it, and
// test/i18n.test.ts checks that both use the same {{placeholders}}).
export const en = {
  language: {
    name: 'English',
    switch: 'Language',
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
