// English: the catalogue's shape. zh-CN.ts must have every key (the type checks it, and
// test/i18n.test.ts checks that both use the same {{placeholders}}).
import { usageEn } from './usage.en.ts';
import { server } from './server.en.ts';
import { bigBodyEn } from './bodies.en.ts';
import { cliCommands } from './cli-commands.en.ts';
import { searchIndexEn } from './search-index.en.ts';
import { indexBuildEn } from './index-build.en.ts';
import { searchScaleEn } from './search-scale.en.ts';
import { storageThreadEn } from './storage-thread.en.ts';
import { storageNewsEn } from './storage-news.en.ts';
import { imagesEn } from './images.en.ts';
import { listViewEn } from './list-view.en.ts';
import { agentEn } from './agent.en.ts';
import { sessionsEn } from './sessions.en.ts';
import { sessionExportEn } from './session-export.en.ts';
import { mcpEn } from './mcp.en.ts';
import { importFailuresEn } from './er.en.ts';
import { trustEn } from './trust.en.ts';
import { launchEn } from './launch.en.ts';
import { dataFilesEn } from './data-files.en.ts';
import { viewerToolsEn } from './viewer-tools.en.ts';
import { keyboardAccessEn } from './keyboard-access.en.ts';
import { viewerStartEn } from './viewer-start.en.ts';
import { harExportEn } from './har-export.en.ts';
import { qaEn } from './qa.en.ts';
import type { Shape } from './shape.ts';

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
  wirelog usage            tokens, cache and cost per session, model, host or day
  wirelog mcp              an MCP server for agents to ask about their own calls

wirelog COMMAND --help for its flags; --lang en|zh-CN (or WIRELOG_LANG) for the language.`,
    unknownCommand: 'unknown command "{{name}}" (commands: {{commands}}; see wirelog --help)',
  },
  commands: cliCommands,
  topbar: {
    retention: 'keeps up to {{mb}} MB; the oldest go first',
    retentionDays: 'keeps up to {{mb}} MB and {{days}} days; the oldest go first',
    exportHar: 'Export HAR',
    importHar: 'Import HAR',
    importHint: 'Chrome DevTools, Playwright, mitmproxy or wirelog HAR; or drop it on the page',
    clearAll: 'Clear all',
  },
  // Words the viewer's format helpers put beside figures (viewer/app/format.ts).
  format: {
    usage: {
      input: 'input tokens',
      cacheRead: 'cache read',
      cacheCreation: 'cache creation',
      output: 'output tokens',
      reasoning: 'reasoning',
      total: 'total tokens',
      cost: 'cost',
    },
    state: {
      pending: 'pending',
      streaming: 'streaming',
      complete: 'complete',
      aborted: 'aborted',
      upstream_error: 'upstream error',
      proxy_error: 'proxy error',
      interrupted: 'interrupted',
    },
  },
  filter: {
    oneThread: 'one thread ✕',
    search: 'Search URLs and bodies  ( / )',
    searchLabel: 'Full-text search',
    host: 'host',
    hostLabel: 'Host',
    model: 'model',
    modelLabel: 'Model',
    dialectLabel: 'Dialect',
    anyDialect: 'any API',
    methodLabel: 'Method',
    anyMethod: 'any method',
    statusLabel: 'Status',
    anyStatus: 'any status',
    stateLabel: 'State',
    anyState: 'any state',
  },
  empty: {
    title: 'No traffic captured yet',
    lead: "Send a program's requests through wirelog, and they appear here as they happen.",
    runTitle: 'Start a program through wirelog',
    envTitle: 'Or set the variables in a shell, then start anything from it',
    gatewayTitle: "Or change only the app's base URL: the upstream goes after wirelog's address",
    gatewayHint:
      'Codex (CLI and VS Code read <file/>): <baseUrl/>. Cherry Studio: API address <address/> (it appends <appended/>). No proxy setting and no CA needed; <command/> prints it for any base URL.',
    proxyTitle: "Or point an app's proxy setting here",
    trustCa: 'and trust the wirelog CA:',
    fingerprint: 'SHA-256',
    retention: 'Captures are kept up to {{mb}} MB (--max-db-mb, --max-age-days); the oldest go first.',
    retentionDays:
      'Captures are kept up to {{mb}} MB and {{days}} days (--max-db-mb, --max-age-days); the oldest go first.',
  },
  list: {
    time: 'time',
    method: 'method',
    host: 'host',
    path: 'path',
    status: 'status',
    state: 'state',
    model: 'model',
    tokens: 'tokens',
    tokensTitle: 'input/output tokens as the provider reported them (sorted by output)',
    ttft: 'TTFT',
    ttftTitle: 'time to first token',
    duration: 'duration',
    durationTitle: 'duration',
    size: 'size',
    sortHint: '{{title}}: click to sort, largest first',
    events_one: '{{count}} event',
    events_other: '{{count}} events',
    messages_one: '{{count}} message',
    messages_other: '{{count}} messages',
    damaged: 'damaged: {{notes}}',
    cut: 'stored cut: {{notes}}',
    usageTitle: '{{usage}} (as the provider reported them)',
    loading: 'loading…',
  },
  modelCall: {
    unnamedTool: '(unnamed tool)',
    choices: 'choices',
    choice: 'choice {{index}}',
    noModel: '(no model named)',
    answeredBy: '→ answered by <model/>',
    rawEvents: 'Raw events',
    thread_one: 'Thread: {{count}} call',
    thread_other: 'Thread: {{count}} calls',
    timeToFirstToken: 'time to first token',
    duration: 'duration',
    tokensPerSecond: 'output tokens/s (computed)',
    usageAsSent: 'usage as the provider sent it',
    toolsOffered: 'Tools offered:',
    modelsListed: 'Models listed:',
    answer: 'answer',
    reasoning_one: 'reasoning ({{count}} character)',
    reasoning_other: 'reasoning ({{count}} characters)',
    refusal: 'Refusal:',
    ending: {
      complete: 'complete',
      open: 'streaming…',
      truncated: 'cut off',
      error: 'error',
    },
    role: {
      system: 'system',
      user: 'user',
      assistant: 'assistant',
      tool: 'tool',
    },
  },
  stream: {
    events_one: '{{count}} event',
    events_other: '{{count}} events',
    messages_one: '{{count}} message',
    messages_other: '{{count}} messages',
    chart_one: '{{count}} event over {{ms}} ms',
    chart_other: '{{count}} events over {{ms}} ms',
    timing: 'first event +{{first}} ms · last +{{last}} ms',
    longestGap: ' · longest gap {{gap}} ms (shaded)',
    open: ' · open, new ones appear as they arrive',
    failed: 'could not read the events: {{error}}',
    expand: 'Click to expand',
    sent: '↑ sent',
    received: '↓ received',
    opcode: {
      text: 'text',
      binary: 'binary',
      close: 'close',
      ping: 'ping',
      pong: 'pong',
      other: 'opcode {{code}}',
    },
  },
  waterfall: {
    label: 'Timings',
    connect: 'connect',
    tls: 'tls',
    send: 'send',
    wait: 'wait',
    firstByte: 'first byte',
    transfer: 'transfer',
    retried:
      'Sent again at {{time}} on a new connection: the upstream closed its kept-alive one as the request went out.',
  },
  headers: {
    none: 'No headers.',
  },
  body: {
    notDecoded: '{{encoding}} (not decoded)',
    decodedFrom: 'decoded from {{encoding}}, {{size}}',
    tree: 'Tree',
    raw: 'Raw',
    hex: 'Hex',
    base64: 'Base64',
    truncated: 'Truncated: {{stored}} of {{size}} stored (raise --max-body-mb to keep more). The client got all of it.',
    empty: 'Empty.',
    moreText: '… ({{size}} more)',
    moreBytes: '… {{size}} more',
    image: 'response body',
  },
  bigBody: bigBodyEn,
  json: {
    items_one: '{{count}} item',
    items_other: '{{count}} items',
    keys_one: '{{count}} key',
    keys_other: '{{count}} keys',
    showMore: 'show {{count}} more',
  },
  snippet: {
    copyAsLabel: 'copy as',
    copyAs: 'Copy as {{target}}',
    copied: 'Copied',
    maskedHint: 'masked keys become variables to set (OPENAI_API_KEY…)',
  },
  replay: {
    notJson: 'The body is not valid JSON:',
    downgrade:
      'Keys captured over HTTPS ({{captured}}) are never sent over plain HTTP: this call goes to {{target}} without them.',
    consent: 'Send the keys captured for {{captured}} to <target/> (unticked, this call goes there without them)',
    method: 'method',
    url: 'URL',
    headerName: 'header {{n}} name',
    headerValue: 'header {{n}} value',
    pasteValue: 'paste the real value: wirelog no longer holds it',
    notInMemory: 'not in memory (wirelog restarted since): paste the real value',
    removeHeader: 'remove header {{name}}',
    addHeader: 'Add header',
    body: 'body',
    sentWithout: 'Sent as <link/> without:',
    sending: 'Sending…',
    send: 'Send',
    cancel: 'Cancel',
  },
  tryFix: {
    valueFor: 'value for {{name}}',
    theKey: 'the key',
    trying: 'Trying…',
    try: 'Try this fix',
    sentWithout: 'Sent without:',
    sendKeys: 'Send the keys to {{target}} and try again',
    waiting: 'Sent as #{{id}}, waiting for the answer…',
    worked: 'The fix works:',
    failing: 'Still failing:',
    codexIntro: 'For Codex (<file/>), exactly what worked:',
    cherry: 'Cherry Studio: provider type {{type}}, API address <address/>',
  },
  harImport: {
    starting: 'Importing {{name}}…',
    upload: 'Importing {{name}}: {{sent}} sent…',
    check_one: 'Importing {{name}}: {{entries}} entry checked ({{read}} of {{total}})…',
    check_other: 'Importing {{name}}: {{entries}} entries checked ({{read}} of {{total}})…',
    store_one: 'Importing {{name}}: {{stored}} of {{entries}} entry stored…',
    store_other: 'Importing {{name}}: {{stored}} of {{entries}} entries stored…',
    done: 'Imported {{count}} exchange(s) from {{name}}',
    notes: '. Note: {{notes}}',
    failed: 'Import of {{name}}: {{error}}',
  },
  app: {
    confirmClear: 'Delete every captured exchange? This cannot be undone.',
    exchanges: 'Exchanges',
    detail: 'Exchange detail',
  },
  detail: {
    tab: {
      overview: 'Overview',
      call: 'Model call',
      request: 'Request',
      response: 'Response',
      stream_one: 'Stream ({{count}} event)',
      stream_other: 'Stream ({{count}} events)',
      websocket_one: 'WebSocket ({{count}} message)',
      websocket_other: 'WebSocket ({{count}} messages)',
      compareWorking: 'Compare (last working)',
      compareWith: 'Compare with #{{id}}',
    },
    requestBody: 'Request body',
    responseBody: 'Response body',
    noResponse: 'No response.',
    noResponseError: 'No response: <error/>.',
    trailers: 'Trailers',
    trailersLabel: 'Response trailers',
    close: 'Close detail',
    error: 'Exchange {{id}}: {{error}}',
    loading: 'loading…',
  },
  overview: {
    fix: 'Fix:',
    // Between a state and the error recorded with it.
    separator: ': ',
    damaged:
      '<strong>Damaged</strong>: its row in the database does not hold what wirelog wrote (another program, a disk error); shown with what could be read, not diagnosed, compared, replayed or exported:',
    damagedNote: 'damaged: <note/>',
    storedCut: '<strong>Stored cut</strong>: larger than wirelog stores of a field (what was sent was not changed):',
    downloadHar: 'Download HAR',
    resend: 'Resend',
    resendTitle: 'send it again, unchanged',
    needs: 'needs {{names}} typed in: wirelog no longer holds it',
    editResend: 'Edit and resend',
    facts: {
      status: 'Status',
      started: 'Started',
      duration: 'Duration',
      request: 'Request',
      response: 'Response',
      client: 'Client',
    },
    noResponse: 'no response',
    stillOpen: 'still open',
    storedTruncated: ' · stored {{size}} (truncated)',
    gateway: ' · through the gateway',
    gatewayTitle: "sent to wirelog's gateway URL form (/https/HOST/…), not through a proxy setting",
    imported: ' · imported from <file/>',
    copyUrl: 'Copy URL',
    copied: 'Copied',
    compareWorking: 'Compare with the last call that worked to this host',
    compareWithLabel: 'compare with exchange',
    idPlaceholder: '#id',
    compare: 'Compare',
    replayOf: 'sent by wirelog: replay of <link/>',
    replayedAs: 'replayed as',
  },
  compare: {
    comparing: 'comparing…',
    head: '<a/> compared with <b/>',
    request: 'request',
    status: 'status',
    noStatus: 'none',
    requestHeaders: 'Request headers',
    requestBody: 'Request body',
    responseHeaders: 'Response headers',
    responseBody: 'Response body',
    same: '{{title}}: the same.',
    none: '{{title}}: none on either side.',
    textDifferent: '{{title}}: different ({{a}} and {{b}} characters).',
    bytesSame: '{{title}}: the same bytes ({{a}} and {{b}} bytes).',
    bytesDifferent: '{{title}}: different ({{a}} and {{b}} bytes).',
    sameJson: '{{title}}: the same JSON.',
    firstOnly: ' (first differences only)',
    verdict: {
      sameKey: 'same key',
      differentKey: 'different key',
      noKeyInA: 'no key in a',
      noKeyInB: 'no key in b',
    },
  },
  usage: usageEn,
  images: imagesEn,
  listView: listViewEn,
  agent: agentEn,
  sessions: sessionsEn,
  sessionExport: sessionExportEn,
  mcp: mcpEn,
  importFailures: importFailuresEn,
  trust: trustEn,
  launch: launchEn,
  dataFiles: dataFilesEn,
  viewerTools: viewerToolsEn,
  keyboardAccess: keyboardAccessEn,
  viewerStart: viewerStartEn,
  harExport: harExportEn,
  qa: qaEn,
  server,
  searchIndex: searchIndexEn,
  indexBuild: indexBuildEn,
  searchScale: searchScaleEn,
  storageThread: storageThreadEn,
  storageNews: storageNewsEn,
  banners: {
    failing: 'Capture is failing: {{error}}',
    waiting: ' Now {{count}} exchange(s) wait to be stored.',
    behind:
      'Storage is behind by {{exchanges}} exchange(s) / {{seconds}} s: new rows show late. Nothing is lost while it catches up.',
    otlp: 'OpenTelemetry export: {{error}}',
    shed: 'Storage, behind or failing, left out {{exchanges}} whole exchange(s), {{events}} SSE event(s) or WebSocket message(s) and {{bytes}} byte(s) to bound memory; each exchange affected says so in its notes, and the traffic itself was forwarded whole.',
    discarded: 'Clear all discarded {{count}} exchange(s) that were waiting to be stored: they are not stored.',
    bodies:
      'Storage fell behind: the rest of {{count}} body(ies) was not stored (they show as truncated) rather than hold the traffic back; the traffic itself was forwarded whole.',
    damaged:
      '{{count}} stored exchange(s) are damaged in the database ({{ids}}). {{example}}. They are shown with what could be read and left out of exports.',
  },
};

export type Messages = Shape<typeof en>;
