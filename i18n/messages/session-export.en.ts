// Sharing a session (issue 27): the headings and labels of a session exported as one HTML page or
// as a Markdown transcript (export/session-html.ts, export/session-markdown.ts), `wirelog export
// --html/--markdown`, and the viewer's download buttons. Field names as sent stay as they are.

export const sessionExportEn = {
  title: 'wirelog session {{key}}',
  exported:
    'Exported by wirelog {{version}} at {{at}}. Secrets are masked as they were stored. Bodies longer than {{limit}} characters are trimmed, and say so.',
  exportedMarkdown:
    'Exported by wirelog {{version}} at {{at}}. Secrets are masked as they were stored; each turn names its exchange, whole in the HTML export and the HAR file.',
  offline: 'This page loads nothing from anywhere: no script, no font, no image.',
  header: {
    key: 'session',
    client: 'client',
    unknownClient: 'unknown client',
    hosts: 'host',
    models: 'model',
    started: 'started',
    callsLabel: 'calls',
    duration: 'duration',
    calls_one: '{{count}} call',
    calls_other: '{{count}} calls',
    failed_one: '{{count}} failed',
    failed_other: '{{count}} failed',
    tokens: 'tokens',
    cost: 'cost',
    cut: 'Only the first {{count}} calls of this session are exported.',
  },
  figures: {
    input: 'in {{value}}',
    output: 'out {{value}}',
    cacheRead: 'cache read {{value}}',
    cacheWrite: 'cache write {{value}}',
    reasoning: 'reasoning {{value}}',
    notReported: 'not reported',
    ttft: 'first token {{value}}',
    duration: 'took {{value}}',
    unfinished: 'not finished',
  },
  cost: {
    provider: '{{usd}} (reported by the provider)',
    estimated: '{{usd}} (estimated from {{table}}, prices of {{date}})',
    unknown: 'price unknown',
    partial: 'price unknown for some calls ({{usd}} for the rest)',
    none: 'no cost: no usage reported',
  },
  turn: {
    label: 'Turn {{n}}',
    exchange: 'exchange #{{id}}',
    said: 'Said last',
    moreInputs_one: '{{count}} earlier input not shown (it is in the raw request)',
    moreInputs_other: '{{count}} earlier inputs not shown (they are in the raw request)',
    answer: 'Answer',
    noAnswer: 'no answer',
    reasoning: 'reasoning: {{count}} characters',
    images_one: '{{count}} image',
    images_other: '{{count}} images',
    finish: 'finish reason: {{reason}}',
    toolCall: 'Tool call {{name}}',
    arguments: 'arguments',
    result: 'result (sent in turn {{n}})',
    noResult: 'no result sent in the next turn',
    clientTook: 'the client took {{value}} before the next turn',
    diagnosis: 'Diagnosis',
    fix: 'fix: {{fix}}',
    unread: 'not readable as a model call (a damaged or cut body): see the raw exchange',
    clipped: 'Texts in a turn are cut at {{limit}} characters; the raw exchange has them whole (up to its own limit).',
  },
  raw: {
    title: 'Raw exchange #{{id}}',
    request: 'Request',
    response: 'Response',
    noResponse: 'no response: {{state}}',
    error: 'error: {{error}}',
    notes: 'cut to store: {{notes}}',
    headers: 'headers',
    body: 'body',
    noBody: 'no body',
    trimmed:
      'Trimmed here: the first {{shown}} of {{total}} characters. The whole body: wirelog export --har, or the viewer.',
    binary: 'A binary body of {{size}} bytes ({{mime}}): not shown here; wirelog export --har has it as base64.',
    notStored: 'Only {{stored}} of {{size}} bytes were stored at capture.',
    decodeError: 'It could not be decoded: {{error}}',
    webSocket: 'WebSocket messages ({{count}}): → sent, ← received',
  },
  role: {
    user: 'user',
    tool: 'tool result',
    system: 'system',
    assistant: 'assistant',
  },
  cli: {
    help: `wirelog export --html FILE [--session ID] [--data-dir DIR]: one agent session as a single HTML page that opens offline
wirelog export --markdown FILE [--session ID] [--data-dir DIR]: the same session as a Markdown transcript for an issue report
  (without --session: the most recent session; "-" for stdout; --har FILE --session ID: only that session's calls)`,
    needsTarget:
      'wirelog export needs --har FILE, --html FILE, --markdown FILE (or "-" for standard output), or --otlp',
    sessionAlone: '--session ID says which session to export: add --html FILE, --markdown FILE or --har FILE',
    noSession:
      'no session "{{key}}" is stored (it may have been cleared or pruned): wirelog export --html FILE without --session exports the most recent one, and the viewer\'s Sessions page lists them',
    noSessions:
      'no agent session is stored yet: capture some calls first (wirelog run -- codex exec "..."), or export them all with --har FILE',
    wrote: 'wrote session "{{key}}" ({{count}} turn(s)) to {{file}}',
  },
  viewer: {
    download: 'Export',
    html: 'HTML page',
    htmlHint: 'This session as one HTML page that opens offline in any browser (secrets masked as stored)',
    markdown: 'Markdown',
    markdownHint: 'This session as a Markdown transcript to paste into an issue report',
  },
};
