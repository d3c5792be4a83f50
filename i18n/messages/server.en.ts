// What wirelog's server side says: the errors and notes stored on an exchange (proxy/, db/,
// model/), and the API's refusals (viewer/api-app.ts, replay/, export/har-import.ts). Each English
// text is the exact sentence the code stores or answers, so a stored one is read back as its
// message and parameters (i18n/stored-text.ts) and shown in the reader's language; an English
// text that matches none is shown as it is. Keys under `stored` and `api` are matched that way.
export const server = {
  stored: {
    interrupted: 'wirelog stopped before this exchange ended',
    // proxy/upstream.ts describeUpstreamError
    tlsClosed:
      'TLS handshake with {{where}} failed: the server closed the connection before the handshake ended ({{code}}); check that this port serves HTTPS',
    dns: 'DNS lookup failed for {{host}} ({{code}})',
    refused: 'connection refused by {{where}}',
    reset: 'connection to {{where}} was reset',
    slowHint: '{{error}} (raise --connect-timeout / --idle-timeout if it is just slow)',
    connectSlow: 'connecting to {{where}} took longer than {{seconds}} s',
    timedOut: 'connection to {{where}} timed out',
    unreachable: '{{where}} is unreachable ({{code}})',
    headOverflow: '{{where}} sent a response head over {{kb}} KB, more than wirelog (and Chrome) take',
    tlsFailed:
      'TLS handshake with {{where}} failed: {{error}} ({{code}}); pass --upstream-ca FILE to trust its CA, or --insecure-upstream for a local test server',
    upstreamFailed: 'upstream {{where}} failed: {{error}}',
    // proxy/upstream-proxy.ts (--upstream-proxy)
    proxyTimeout: 'the upstream proxy {{proxy}} did not open a tunnel to {{where}} within {{seconds}} s',
    proxyInvalid: 'the upstream proxy {{proxy}} sent an invalid answer to CONNECT {{where}}',
    proxyBadCredentials:
      'the upstream proxy {{proxy}} refused the credentials in --upstream-proxy (407) for CONNECT {{where}}',
    proxyNeedsCredentials:
      'the upstream proxy {{proxy}} asks for credentials (407) for CONNECT {{where}}: give them as --upstream-proxy http://USER:PASS@HOST:PORT',
    proxyStatus:
      'the upstream proxy {{proxy}} answered {{status}} to CONNECT {{where}}: it could not reach {{target}}, or does not allow it',
    proxyRefused:
      'the upstream proxy {{proxy}} refused the connection (ECONNREFUSED): start it, or fix the address in --upstream-proxy',
    proxyFailed: 'the upstream proxy {{proxy}} failed: {{error}}',
    proxyClosed: 'the upstream proxy {{proxy}} closed the connection before answering CONNECT {{where}}',
    proxySlowTls: 'connecting to {{where}} through the upstream proxy {{proxy}} took longer than {{seconds}} s',
    proxyTlsClosed:
      'TLS handshake with {{where}} through the upstream proxy {{proxy}} failed: the tunnel closed before the handshake ended',
    // proxy/forward.ts, proxy/websocket.ts
    cannotForward: 'cannot forward this request: {{error}}',
    cannotForwardUpgrade: 'cannot forward this upgrade: {{error}}',
    badResponseHead: 'invalid response headers from upstream: {{error}}',
    upstreamClosed: 'the upstream closed the connection before the response ended',
    midBody: 'the upstream response failed mid-body: {{error}}',
    clientClosedResponse: 'the client closed the connection before the response ended',
    // db/capture-store.ts: a stream whose final event reached the client, which then hung up (Codex does).
    clientClosedAfterAnswer:
      "the client closed the connection after the answer's final event, before the upstream ended the response: the answer it got is whole",
    clientClosedWaiting: 'the client closed the connection before a response arrived',
    clientClosedUpgrade: 'the client closed the connection before the upgrade was answered',
    clientClosedUpgrading: 'the client closed the connection before the upgrade completed',
    upstreamNoCloseFrame: 'the upstream closed the WebSocket without a close frame',
    clientNoCloseFrame: 'the client closed the WebSocket without a close frame',
    upgradeFailed: 'the upstream response to the upgrade failed: {{error}}',
    // proxy/tunnel.ts
    tunnelSilent:
      'the client sent nothing through its tunnel within {{seconds}} (--handshake-timeout); wirelog closed it',
    handshakeSlow:
      'the client did not finish its TLS handshake with wirelog within {{seconds}} (--handshake-timeout); wirelog closed the tunnel',
    noCertificate: 'wirelog could not make a certificate for {{host}}: {{error}}',
    distrustEnded:
      'the client ended the TLS handshake with wirelog ({{code}}): it probably does not trust the wirelog CA; start it with `wirelog run` or set its CA variable (see `wirelog env`)',
    distrustClosed:
      'the client closed the connection during the TLS handshake with wirelog: it probably does not trust the wirelog CA; start it with `wirelog run` or set its CA variable (see `wirelog env`)',
    distrustAfter:
      'the client closed the connection right after the TLS handshake with wirelog, before any request: it probably does not trust the wirelog CA (GnuTLS clients such as wget check it after the handshake); start it with `wirelog run` or set its CA variable (see `wirelog env`)',
    // proxy/proxy-server.ts
    loop: "this request points at wirelog itself ({{why}}): a loop, or a page reaching wirelog's own ports through it; refused",
    connectLoop: 'this CONNECT points at wirelog itself ({{why}}): a loop',
    closedBeforeChecked: 'the client closed the connection before wirelog had checked where it pointed',
    headTooLarge: 'request headers are larger than 16 KB',
    malformed: 'malformed request ({{code}}: {{error}})',
    partialHead:
      'the client sent part of a request head but not all of it within {{seconds}} (--request-head-timeout); wirelog closed the connection',
    noRequest:
      'the client opened a connection but sent no request within {{seconds}} (--request-head-timeout); wirelog closed it',
    spokeTls:
      'the client spoke TLS: a proxy URL for wirelog is http://{{address}}, not https:// (HTTPS_PROXY=http://{{address}} still carries HTTPS traffic), and a gateway URL is http://{{address}}/https/HOST/...',
    spokeH2c:
      "the client spoke HTTP/2 without TLS (prior knowledge, h2c): wirelog takes HTTP/1.1; turn that option off (curl --http2-prior-knowledge, a gRPC client's plaintext mode)",
    spokeSocks:
      'the client spoke SOCKS{{version}}: wirelog is an HTTP proxy; give the client http://{{address}} as its proxy (HTTPS_PROXY, not ALL_PROXY=socks5://...)',
    checkFailed: 'the check failed: {{error}}',
    // Said to the client only (proxy/proxy-server.ts, proxy/forward.ts): the exchange stores its own reason.
    needsProxyAuth: 'this proxy needs the credentials given with --proxy-auth',
    noUpgradeUpstream: 'no upstream for this upgrade here',
    unrelayableHeaders: 'the upstream response has headers that cannot be relayed: {{error}}',
    // proxy/connections.ts: the 503 past --max-connections, and the console's line about it.
    tooManyConnections: 'too many client connections ({{n}}, --max-connections); try again shortly',
    connectionsFull:
      '{{n}} client connections are open (--max-connections): refusing new ones with 503 until some close',
    // proxy/forward.ts: a stream whose events stopped being split out (the reason follows).
    eventsNotSplit: 'events after a point were not split out of the stream: {{why}}',
    notAServer:
      'wirelog proxy: this port is an HTTP(S) proxy and a gateway, not a web server.\nUse it as HTTPS_PROXY=http://{{address}} (see `wirelog env`), start a program with `wirelog run -- <command>`, or put the upstream after this address in a base URL: http://{{address}}/https/api.openai.com/v1 (see `wirelog url`).',
    // proxy/self-address.ts
    isThisMachine: '{{address}} is this machine',
    unresolvable: '{{host}} could not be resolved to tell whether it is this machine ({{error}})',
    resolvesHere: '{{host}} resolves to {{address}}, this machine',
    // proxy/gateway.ts
    gatewayForm: 'a gateway URL is http://127.0.0.1:PORT/https/HOST[:PORT]/PATH (see `wirelog url`)',
    gatewayLoopback: "gateway requests must be sent to this machine's loopback address (Host {{host}} refused)",
    gatewayToken:
      'this wirelog listens beyond loopback: gateway URLs need the token printed at start (http://HOST:PORT/t/TOKEN/https/...)',
    gatewayPort: 'port {{port}} in the gateway URL is not a port',
    gatewayPage:
      'the gateway is for API clients (a base URL in Codex, Cherry Studio or an SDK), not for opening pages in a browser: open the upstream site directly, and the wirelog viewer to see what was sent',
    gatewayOwnPage:
      "a page served from the gateway's own address may not call it: send API calls from your app (its own origin or file://), not from a page opened through the gateway",
    // model/shed-note.ts
    shed: 'storage left out {{parts}} of this exchange because {{cause}}; the client got them all (the record is incomplete, not the traffic)',
    shedEvents: '{{n}} SSE event(s)',
    shedEventsBytes: '{{n}} SSE event(s) ({{bytes}} bytes)',
    shedMessages: '{{n}} WebSocket message(s)',
    shedMessagesBytes: '{{n}} WebSocket message(s) ({{bytes}} bytes)',
    shedBody: '{{n}} body byte(s)',
    // model/head-bounds.ts
    cut: '{{what}}: {{size}} ({{bytes}} bytes), stored the first {{kept}}',
    cutMoreFields: '{{n}} more {{what}} name(s) or value(s) over {{name}} or {{value}}: stored cut to that',
    cutHeaders: '{{n}} {{what}}s: the first {{stored}} stored ({{size}}); {{why}}',
    cutHeadBytes: 'at most {{size}} of a head is stored',
    cutHeaderCount: 'at most {{n}} headers of a head are stored',
    cutMoreNotes: '{{n}} more field(s) cut',
    // db/indexer.ts: an exchange's own text past the search index's bound (the parts of a split body are indexed whole).
    searchCutRequest:
      'search finds only the first {{kept}} of the request text ({{bytes}} bytes); the rest is stored but not indexed',
    searchCutResponse:
      'search finds only the first {{kept}} of the response text ({{bytes}} bytes); the rest is stored but not indexed',
    // db/import-store.ts: what an import stored but could not do for an exchange (said on the console too).
    understandFailed: 'not read as a model call: {{error}} (the exchange is stored whole)',
    indexFailed: 'not indexed for search: {{error}} (the exchange is stored whole)',
    packFailed: 'request body kept as it came, not split into parts: {{error}}',
    // db/stored-values.ts
    damagedColumn: 'column {{column}} could not be read: {{why}}',
    damagedRefusal:
      'exchange #{{id}} is damaged in the database ({{first}}): it cannot be {{what}}; open it to see what could be read',
    damagedRefusalMore:
      'exchange #{{id}} is damaged in the database ({{first}}, and {{more}} more): it cannot be {{what}}; open it to see what could be read',
    notJson: 'not JSON ({{error}}); read as {{fallback}}',
    holdsNotText: 'holds {{value}}, not text; read as {{fallback}}',
    holdsNotNumber: 'holds {{value}}, not a number; read as {{fallback}}',
    holdsNotJson: 'holds {{value}}, not JSON text; read as {{fallback}}',
    holdsNotOneOf: 'holds {{value}}, not one of {{values}}; read as {{fallback}}',
    // Words stored inside the sentences above (a cause, a field's name, what a damaged row cannot be).
    tooFarBehind: 'storage was too far behind',
    none: 'none',
    replayed: 'replayed',
    copiedAsCode: 'copied as code',
    compared: 'compared',
    exported: 'exported',
    fieldMethod: 'request method',
    fieldPath: 'request URL path',
    fieldHost: 'request host',
    fieldClient: 'client address',
    fieldRequestVersion: 'request HTTP version',
    fieldHarName: 'HAR file name',
    fieldStatusText: 'response status text',
    fieldResponseVersion: 'response HTTP version',
    fieldDialect: 'dialect',
    fieldModel: 'model name',
    fieldThread: 'thread key',
    fieldResponseId: 'response id',
    fieldDiagnosis: 'diagnosis summary',
    fieldRequestHeader: 'request header',
    fieldResponseHeader: 'response header',
    fieldTrailer: 'response trailer',
    headerNameOf: '{{what}} name {{name}}',
    // model/head-bounds.ts: a header's name or value cut (named by its field), the end's fields.
    requestHeaderNamed: 'request header {{name}}',
    responseHeaderNamed: 'response header {{name}}',
    trailerNamed: 'response trailer {{name}}',
    requestHeaderNameOf: 'request header name {{name}}',
    responseHeaderNameOf: 'response header name {{name}}',
    trailerNameOf: 'response trailer name {{name}}',
    fieldError: 'error',
    fieldRequestEncoding: 'request Content-Encoding',
    fieldResponseEncoding: 'response Content-Encoding',
    // proxy/sse-capture.ts, proxy/stream-decoder.ts: why a stream's events stopped being split out (inside eventsNotSplit).
    decodedPast: 'decoded past {{n}} MB',
    streamNotDecoding: 'the {{encoding}} stream does not decode: {{error}}',
    streamBrokeOff: 'the stream broke off',
    stillDecoding: 'its events were still being decoded {{seconds}} s after it ended; later ones are not stored',
    eventTooLong:
      'one event grew past {{mb}} MB without ending (no blank line after it); the rest of the stream is stored but not split into events',
  },
  // Advice computed from stored exchanges (model/exchange-diff.ts, export/har.ts, llm/codex-provider-block.ts):
  // said in English where it is kept (a HAR comment, --json, MCP) and rendered where it is shown.
  advice: {
    compareLine:
      'The working call #{{id}} from {{client}} went to {{path}} {{key}}; this one (from {{failedClient}}) went to {{failedPath}} {{failedKey}}.',
    compareLineModels:
      'The working call #{{id}} from {{client}} went to {{path}} {{key}} and model {{model}}; this one (from {{failedClient}}) went to {{failedPath}} {{failedKey}} and model {{failedModel}}.',
    withKey: 'with a key',
    withNoKey: 'with no key',
    withSameKey: 'with a key (the same key)',
    withDifferentKey: 'with a key (a different key)',
    unnamedClient: 'an unnamed client',
    harSkipped:
      '{{n}} exchange(s) left out: their rows in the database are damaged ({{ids}}); open them in the viewer to see which column could not be read',
    codexKeyHeader:
      'The call sent its key in {{header}}, not Authorization: put the key in http_headers (env_http_headers reads it from a variable).',
    codexExportKey: 'export {{variable}}=<the key> before starting Codex.',
    codexExportKeyEnding: 'export {{variable}}=<the key ending in {{tail}}> before starting Codex.',
    codexChat:
      'This was a Chat Completions call (another client). Codex speaks only the Responses API since early 2026, so it will POST {{baseUrl}}/responses: check that this provider serves /responses; if it does not, Codex cannot use it directly.',
  },
  api: {
    noExchange: 'no exchange with this id',
    noRoute: 'no API route {{method}} {{path}}',
    clearOwnOnly: 'clearing captures is only allowed from the wirelog viewer itself',
    replayOwnOnly: 'replaying is only allowed from the wirelog viewer itself (or `wirelog replay`)',
    importOwnOnly: 'importing is only allowed from the wirelog viewer itself (or `wirelog import`)',
    exportsBusy:
      '{{count}} HAR exports are already being written; wait for one to finish and export again (or use `wirelog export --har FILE`)',
    noReplays: 'this wirelog sends no replays',
    noImports: 'this wirelog imports nothing',
    noUpload: 'the request has no body: send the HAR file as the body of POST /api/import?name=FILE.har',
    noFix: 'no diagnosis of #{{id}} proposes a fix that can be tried: edit the call and resend it',
    importFailed: 'importing {{name}} failed: {{error}}',
    uploadNotKept: 'the upload could not be kept to import it ({{error}}); nothing was imported',
    notJsonHar: '{{source}} is not JSON ({{error}}): a HAR file is a JSON document',
    notJsonHarStream:
      '{{source}} is not JSON ({{where}}in its first {{bytes}} bytes: {{error}}): a HAR file is a JSON document',
    notHar:
      '{{source}}: it is not a HAR document: there is no log.entries array (HAR 1.2 files start {"log": {"entries": [...]}})',
    cannotRead: 'cannot read {{source}}: {{error}}',
    refusedEntries: '{{source}} cannot be imported, nothing was:\n  {{problems}}',
    bodyNotObject: 'the request body is not a JSON object, so its {{what}} cannot be changed: edit it and resend',
    bodyNotJson: 'the request body is not JSON, so its model cannot be changed: edit it and resend',
    gatewayUnreachable: "the replay could not reach wirelog's own gateway: {{error}}",
    notRecorded: 'the replay was not recorded within {{seconds}} s: is storage failing? (see /api/status)',
    notUrl: '"{{text}}" is not a URL: give an absolute one, such as https://api.example.com/v1/chat/completions',
    urlNotInMemory: 'the real value of {{names}} in the URL is not in memory: give the URL with the key in it',
    badConsent:
      'sendSecretsTo (--send-secrets-to) takes HOST[:PORT], such as api.example.com or 127.0.0.1:8443, not "{{text}}"',
    // db/compare-reader.ts: a comparison that cannot be made, and bodies compared by their bytes only.
    compareNoExchange: 'no exchange {{id}}',
    compareNoWorking: 'no model call to {{host}} has worked yet: make one (from any client) and compare again',
    compareOutOfMemory:
      'comparing #{{a}} with #{{b}} needed more than the {{mb}} MB a comparison may take: compare smaller exchanges, or export both (HAR) and compare them with another tool',
    compareFailed: 'comparing #{{a}} with #{{b}} failed: {{error}}',
    compareStopped: 'comparing #{{a}} with #{{b}} stopped (exit code {{code}}) before it answered',
    compareRequestBytes:
      'request bodies of {{a}} and {{b}} stored: past the {{max}} compared in full, only their stored bytes were compared, not their JSON path by path',
    compareResponseBytes:
      'response bodies of {{a}} and {{b}} stored: past the {{max}} compared in full, only their stored bytes were compared, not their JSON path by path',
    compareRequestBytesEncodings:
      'request bodies of {{a}} and {{b}} stored: past the {{max}} compared in full, only their stored bytes were compared (stored with different encodings, {{x}} and {{y}}), not their JSON path by path',
    compareResponseBytesEncodings:
      'response bodies of {{a}} and {{b}} stored: past the {{max}} compared in full, only their stored bytes were compared (stored with different encodings, {{x}} and {{y}}), not their JSON path by path',
    // replay/: why a replay is not sent, and what it sent without.
    replayScheme: 'a replay goes to an {{allowed}} URL, not {{scheme}}',
    replaySecretMissing:
      'the real value of {{names}} is not in memory (wirelog keeps the secrets of recent requests only while it runs): give it for this replay, e.g. --header "{{first}}: Bearer YOUR_KEY", or type it in the editor',
    replayConsentOther:
      'sendSecretsTo (--send-secrets-to) names {{named}}, but this replay goes to {{target}}: name exactly {{hostPort}}',
    replayNotMethod: '"{{method}}" is not an HTTP method: use letters only, such as POST',
    replayConnect: 'a CONNECT tunnel carries no request of its own to replay: replay the requests that went through it',
    replayBodyCut:
      'the request body was {{size}} bytes and only {{stored}} were stored (--max-body-mb): give the body to send, or raise --max-body-mb and capture it again',
    fixNoKey:
      'the fix adds the key in {{header}}, and no working call to {{host}} left one in memory: paste the key (in the viewer), or give it with --header "{{header}}: {{scheme}} YOUR_KEY"',
    fixNoKeyPlain:
      'the fix adds the key in {{header}}, and no working call to {{host}} left one in memory: paste the key (in the viewer), or give it with --header "{{header}}: YOUR_KEY"',
    fixOutputLimit: 'output limit',
    withheldDowngrade:
      '{{name}} withheld: it was captured over HTTPS ({{capturedFor}}), and a secret captured over HTTPS is never sent over plain HTTP ({{target}})',
    withheldOrigin:
      '{{name}} withheld: it was captured for {{capturedFor}}, and this replay goes to {{target}}; to send it there, confirm {{allowWith}} (--send-secrets-to {{allowWith}})',
    withheldBodyField: 'body ({{name}})',
    withheldEncodedBody:
      'the request body is {{encoding}}-encoded and cannot be decoded ({{error}}), so wirelog cannot take out the secrets captured for {{capturedFor}} before sending it to {{target}}: replay it to {{capturedFor}}, or give the body to send (--body-file, or the editor)',
    // export/har-import.ts, export/har-stream.ts, cli/viewer-import.ts: an import's refusals and notes.
    harEntry: 'entry {{n}}',
    harEntryOf: 'entry {{n}} ({{method}} {{url}})',
    harEntryProblem: 'entry {{n}}: {{problem}}',
    harEntryOfProblem: 'entry {{n}} ({{method}} {{url}}): {{problem}}',
    harMoreProblems: '... and {{n}} more',
    harMethodLong: 'request.method is {{size}}, over the {{max}} bytes a method may have',
    harMethodToken: "request.method {{quoted}} is not an HTTP method (a token of letters, digits and !#$%&'*+-.^_`|~)",
    harOverImported: '{{field}} is {{size}}, over the {{max}} wirelog imports',
    harHostLong: "request.url's host name is over the {{max}} wirelog imports",
    harHeaderCount: '{{field}} has {{n}} headers, over the {{max}} wirelog imports',
    harHeaderNameLong: '{{field}} is {{size}}, over the {{max}} a header name may have',
    harHeaderNameToken: "{{field}} {{quoted}} is not a header name (a token of letters, digits and !#$%&'*+-.^_`|~)",
    harHeaderValueLong: '{{field}} is {{size}}, over the {{max}} a header value may have',
    harHeaderValueBreak: '{{field}} holds a line break or NUL, which no header value may',
    harHeadLong: 'its URL and headers are {{size}}, over the {{max}} wirelog imports for one entry',
    harFieldBreak: '{{field}} holds a line break or NUL',
    harMissing: '{{field}} is missing',
    harEntryTooLong: 'it is over {{chars}} million characters of text (bodies counted up to {{body}} million each)',
    harRequestBodyCut: '{{name}}: its request body is {{size}}: the first {{stored}} are stored, marked truncated',
    harResponseBodyCut: '{{name}}: its response body is {{size}}: the first {{stored}} are stored, marked truncated',
    harRequestDeep:
      '{{name}}: its request body is JSON nested more than {{depth}} levels deep: stored, and read as text (not as a model call)',
    harResponseDeep:
      '{{name}}: its response body is JSON nested more than {{depth}} levels deep: stored, and read as text (not as a model call)',
    harNotJsonAfter: 'in or after entry {{n}}, ',
    notJsonHarStreamStart:
      '{{source}} is not JSON (in its first {{bytes}} bytes: {{error}}): a HAR file is a JSON document',
    harCutShort: 'the file ends before its JSON does (was it cut short?)',
    harUtf16:
      '{{source}} is UTF-16 text, and a HAR file is UTF-8 (HAR 1.2): convert it first, e.g. `iconv -f UTF-16 -t UTF-8 in.har > out.har`',
    harNotUtf8:
      '{{source}} is not UTF-8 text (in its first {{bytes}} bytes), and a HAR file is UTF-8 (HAR 1.2): convert it first, e.g. `iconv -f GBK -t UTF-8 in.har > out.har`',
    harStatus:
      'response.status {{value}} is not an HTTP status code (three digits, 100-999; 0 or -1 when there was no response)',
    harTiming: '{{field}} is {{value}}: not a time in milliseconds (0 to a year; -1 when the phase did not happen)',
    harEventTime: '{{field}} is {{value}}: not a time in seconds since 1970',
    harSkippedScheme:
      'skipped {{n}} entry(s) that are not HTTP or WebSocket exchanges ({{schemes}} URLs, which a browser lists beside its requests); the others were imported',
    harChanged:
      '{{source}} changed while it was imported: {{stored}} of {{entries}} entries were stored, the others were not; import a copy that nothing writes to',
    harChangedEntry:
      '{{source}} changed while it was imported (entry {{n}} is not as it was): {{stored}} of {{entries}} entries were stored, the others were not',
    harChangedCount:
      '{{source}} changed while it was imported (it had {{entries}} entries, now {{seen}}): {{stored}} of {{entries}} entries were stored, the others were not',
    harStoreFailed:
      '{{stored}} of {{entries}} entries of {{source}} were stored before storing failed ({{error}}); the others were not',
    harStoreFailedIds:
      '{{stored}} of {{entries}} entries of {{source}} were stored (#{{first}}-#{{last}}) before storing failed ({{error}}); the others were not',
    harMoreNotes: '... and {{n}} more notes',
    harOutOfOrder:
      "{{source}} is far out of time order: some entries were stored in the file's order, not oldest first",
    importThreadFailed: 'the import thread failed: {{error}}',
    importThreadStopped: 'the import thread stopped (exit code {{code}})',
    // export/snippets.ts: why a request cannot be copied as code (the button's title)
    snippetMethodNotToken:
      "the method {{value}} is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~): no client sends it, so no snippet repeats it",
    snippetHeaderNameNotToken:
      "the header name {{value}} is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~): no client sends it, so no snippet repeats it",
    snippetHeaderControl:
      'the header {{name}} holds a control character (a line break, NUL...) that HTTP does not allow in a value: no snippet repeats it',
    snippetHeaderSpace:
      'the value of the header {{name}} starts or ends with white space, which HTTP clients strip: no snippet sends it as captured',
    snippetNoUrl: 'this exchange has no URL to send a request to (it was refused before one was read)',
    snippetNotHttp: 'this is a {{scheme}} exchange: copy as code repeats HTTP requests (http and https URLs)',
    snippetBadHost: 'the host {{host}} is not a DNS name or an address: no snippet is written for it',
    snippetShellBytes:
      '{{what}} holds bytes a pasted shell command cannot carry as they are (a tab, a control character or bytes that are not UTF-8): copy it as fetch or Python instead',
    snippetTheMethod: 'the method',
    snippetTheUrl: 'the URL',
    snippetTheHeader: 'the header {{name}}',
    snippetQueryNotEncoded: 'the query holds {{value}}, which is not percent-encoded text: use curl, fetch or python',
    snippetQuerySecretName:
      'a query parameter name holds a masked secret, which the openai SDK cannot send: use curl, fetch or python',
    snippetQueryRepeats: 'the query repeats a parameter, which the openai SDK cannot send: use curl, fetch or python',
    snippetSdkEndpoint:
      'the openai SDK snippet is for Chat Completions and Responses calls; use curl, fetch or python for this one',
    snippetBodyNotJson: 'the request body is not JSON, so there is no SDK call to write: use curl, fetch or python',
    snippetBodyNotObject:
      'the request body is not a JSON object, so there is no SDK call to write: use curl, fetch or python',
    // viewer/app/api-client.ts: the viewer's own words when the API could not be asked or did not finish
    replayNotAsked: 'the replay could not be asked for: {{error}}',
    importNoEnd: 'the import ended without saying how it went (was wirelog stopped?)',
    apiFault:
      'wirelog could not answer {{where}}: {{cause}} (a fault in wirelog: the rest of the viewer still works; please report it with this line)',
    // export/har-import.ts: a request body the HAR does not hold as bytes wirelog can read (the entry is stored without it)
    harRequestBodyDropped: '{{name}}: its request body is not stored: {{why}}',
    harRequestEncoding: '{{field}} is "{{encoding}}", an encoding wirelog does not read (base64 or none)',
    harRequestParamsOnly: 'the HAR gives it only as {{n}} form fields (postData.params), not as its bytes',
    harRequestDiscarded: 'the tool that wrote the HAR left it out (_requestBodyStatus "{{status}}")',
  },
  // viewer/api-app.ts badRequest: a request the API cannot take, field by field (said, never stored:
  // not matched as stored text).
  request: {
    badField: '{{field}}: {{fix}}',
    query: 'query',
    fixMethod: 'method must be letters, e.g. POST',
    fixStatus: 'status must be a code like 404 or a class like 4xx',
    fixDialect: 'dialect is a name like openai-chat',
    fixCursor: 'cursor must be the nextCursor of the previous page: an id, or VALUE_ID with sort',
    fixSince: 'since must be an ISO date such as 2026-11-24T10:00:00Z',
    fixHeaderName: 'a header name is a token, such as Authorization',
    fixHeaderValue: 'a header value cannot hold a line break or NUL',
    fixCompareWith: 'give the id of an exchange, or working (the last call to its host that worked)',
    fixOneOf: 'give one of {{values}}',
    fixNumber: 'give a whole number',
    fixAtLeast: 'give a whole number of at least {{min}}',
    fixAtMost: 'give a whole number of at most {{max}}',
    fixNotEmpty: 'give a value, not an empty one',
    fixTextAtMost: 'give at most {{max}} characters',
    fixUnknown: 'wirelog takes no such field here: leave it out',
    fixType: 'give a {{expected}}, not a {{received}}',
  },
};
