// What the command line says besides its usage: each command's --help, its one-line errors and
// its output (the start banner, list, doctor, import's progress...). Config snippets, URLs,
// flags and shell lines inside these strings are the same in every language.
import type { Shape } from './shape.ts';

export const cliCommands = {
  // A first word that is no command: the one it most likely meant, or an agent to start with `wirelog run --`.
  command: {
    suggest: 'unknown command "{{name}}": did you mean `wirelog {{suggestion}}`? (see wirelog --help)',
    agent:
      '"{{name}}" is not a wirelog command: to capture what {{name}} sends, start it with `wirelog run -- {{command}}`',
  },
  // Node's own argument parser speaks English: its errors are said again here, one line each.
  flags: {
    unknown: "Unknown option '{{flag}}' (see `wirelog {{command}} --help`)",
    unknownSuggest: "Unknown option '{{flag}}': did you mean {{suggestion}}? (see `wirelog {{command}} --help`)",
    needsValue: '{{flag}} needs a value (see `wirelog {{command}} --help`)',
    needsHarFile: '{{flag}} needs a file name: wirelog export --har captures.har (or --har - for standard output)',
    takesNoValue: '{{flag}} takes no value (see `wirelog {{command}} --help`)',
    unexpected:
      "unexpected argument '{{arg}}': wirelog {{command}} takes flags only (see `wirelog {{command}} --help`)",
    invalid: '{{message}} (see `wirelog {{command}} --help`)',
    port: '{{flag}} must be a port number from 0 to 65535, not "{{value}}"',
    maxBodyMb: '--max-body-mb must be a number of megabytes (0 or more), not "{{value}}"',
    seconds: '{{flag}} must be a number of seconds above 0, not "{{value}}"',
    proxyAuth: '--proxy-auth must be user:password',
    upstreamProxyScheme:
      '--upstream-proxy {{value}}: only an HTTP proxy (http://, one that takes CONNECT) is supported, not {{scheme}}; Clash, V2Ray and most others also serve HTTP: give that port, e.g. --upstream-proxy http://127.0.0.1:7890',
    upstreamProxyInvalid:
      '--upstream-proxy {{value}} is not a proxy URL: use http://HOST:PORT or http://USER:PASS@HOST:PORT',
    maxDbMb: '--max-db-mb must be a number of megabytes (1 or more), not "{{value}}"',
    maxAgeDays: '--max-age-days must be a number of days above 0, not "{{value}}"',
    maxConnections: '--max-connections must be a whole number of connections (1 or more), not "{{value}}"',
    wholeNumber: '{{flag}} must be a whole number of exchanges, not "{{value}}"',
    langNeedsValue: '--lang needs a language: {{languages}}',
    langUnknown: '--lang {{value}}: wirelog speaks {{languages}}',
  },
  capture: {
    help: `  --proxy-port N         proxy port (default 8899)
  --ui-port N            viewer and API port (default 8900)
  --host ADDR            address to listen on (default 127.0.0.1)
  --data-dir DIR         database and CA (default $WIRELOG_HOME or ~/.wirelog)
  --keep-secrets         store API keys, cookies and tokens unmasked
  --upstream-ca FILE     also trust this PEM CA for upstream servers
  --insecure-upstream    do not check upstream certificates (local test servers)
  --upstream-proxy URL   reach upstreams through this HTTP proxy (CONNECT), e.g. Clash's http://127.0.0.1:7890
                         (http://USER:PASS@HOST:PORT when it asks for credentials; socks5:// is not supported)
  --max-body-mb N        bytes stored per body (default 50); the client always gets all of it
  --max-db-mb N          keep the database under N MB, deleting the oldest exchanges (default 2048)
  --max-age-days D       delete exchanges older than D days (default: keep)
  --proxy-auth U:P       require these credentials from clients (needed with a --host beyond loopback)
  --connect-timeout S    give up connecting to an upstream after S seconds (default 30)
  --idle-timeout S       give up on an upstream silent for S seconds (default 600; reasoning can be slow)
  --handshake-timeout S  close a CONNECT tunnel whose TLS handshake is not done after S seconds (default 10)
  --request-head-timeout S  close a client connection that sends no complete request head for S seconds (default 30)
  --max-connections N    client connections at once; more are refused with 503 (default from the open-file limit, at most 4096)
  --otlp-endpoint URL    also send every exchange as an OpenTelemetry span (OTLP over HTTP) to this collector
                         (or OTEL_EXPORTER_OTLP_ENDPOINT; OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf or http/json)
  --otlp-content         put prompts and answers in the spans too (masked like everything else)`,
  },
  dataDir: {
    noCaptures:
      'no captures in {{dataDir}} yet: start wirelog (`wirelog start`) and send traffic through it, or pass the right --data-dir',
    noExchange: 'no exchange {{id}} in {{dataDir}} (see `wirelog list`)',
    notRunning: 'no wirelog is running on {{dataDir}} yet: start it with `wirelog start`',
    widened:
      'the data dir {{dataDir}} could be read by other users (mode {{mode}}); it holds captures and the CA key, so it is now owner-only (700)',
  },
  start: {
    help: `wirelog start [flags]: run the proxy and the viewer until Ctrl-C
{{flags}}`,
    alreadyRunning:
      'wirelog is already running on {{dataDir}} (pid {{pid}}, proxy {{proxyUrl}}): use that one, stop it, or pass another --data-dir',
    internalError: 'internal error, still running (please report it): {{error}}',
    capturing: 'wirelog is capturing.',
    proxy: '  proxy:   {{url}}',
    gateway: '  gateway: {{url}}  (any base URL, after this address: `wirelog url URL`)',
    tokenOnce: '  (the token is shown only here)',
    viewer: '  viewer:  {{url}}',
    viewerOff: '  viewer:  (off)',
    data: '  data:    {{dataDir}}',
    ca: '  CA:      {{path}}',
    fingerprint: '           SHA-256 {{fingerprint}}',
    secretsKept: '  secrets: KEPT as sent (--keep-secrets)',
    secretsMasked: '  secrets: masked before storage',
    otlp: '  otlp:    spans to {{url}} ({{protocol}})',
    otlpContent: '  otlp:    spans to {{url}} ({{protocol}}, with prompts and answers)',
    howTo: `Send traffic through it:
  {{wirelog}} run -- codex exec "hello"          start a program with the proxy and CA set
  eval "$({{wirelog}} env)"                      set them in this shell (--shell fish|powershell)
  or point an app's proxy setting at {{proxyUrl}} and trust the CA ({{wirelog}} ca)
  Chromium/Electron: {{chromiumFlags}}
                     ({{wirelog}} run -- chromium ... adds them itself; --chromium for an Electron app)`,
    notOnPath: '(`wirelog` is not on your PATH: run `npm link` once in the wirelog folder to put it there)',
    pressCtrlC: 'Press Ctrl-C to stop.',
    userProxy:
      "{{name}}={{value}} is set in this shell, but wirelog connects to providers directly, not through that proxy: a provider this machine reaches only through it (from mainland China, api.openai.com, chatgpt.com or Google's APIs, say) will time out; to send them through it, start wirelog with --upstream-proxy {{flag}}",
    beyondLoopback:
      'WARNING: listening on {{host}}: other machines can reach this proxy (with the --proxy-auth credentials) and the viewer (with the token in its URL above, which can read every capture)',
    stopping: 'stopping, storing what is pending...',
  },
  instance: {
    notLocal:
      '--host {{host}} is not an address of this machine ({{code}}): use --host 127.0.0.1, or an address this machine has',
    needsProxyAuth:
      'listening on {{host}} lets other machines use this proxy: add --proxy-auth user:password (clients then use http://user:password@host:port)',
    what: { proxy: 'proxy', viewer: 'viewer' },
    portInUse: 'the {{what}} port {{port}} is already in use: stop that program, or pick another port with {{flag}} N',
    portInUseByWirelog:
      'the {{what}} port {{port}} is already in use by another wirelog: stop it (Ctrl-C where it runs), or pick another port with {{flag}} N',
    portDenied: 'not allowed to listen on the {{what}} port {{port}}: pick a port above 1024 with {{flag}} N',
    hostNotHere: 'cannot start the {{what}}: the --host address is not on this machine; use --host 127.0.0.1',
    cannotListen: 'cannot start the {{what}} on port {{port}}: {{error}}',
    cannotReadCa: 'cannot read --upstream-ca {{file}}: {{error}}',
    noPem: '--upstream-ca {{file}} holds no PEM certificate (-----BEGIN CERTIFICATE-----)',
    captureFailed: 'capture failed: {{error}}',
  },
  run: {
    help: `wirelog run [flags] -- COMMAND [ARGS...]: run a command with its traffic captured
Uses the wirelog already serving the data dir if there is one; otherwise runs a private
proxy on a free port for the command's lifetime (captures go to the same database).
The command's exit code is wirelog's exit code.
  --chromium        the command is a Chromium or Electron app (Cherry Studio...): add the proxy, loopback and
                    certificate flags (done without asking for chromium, google-chrome, msedge, brave, electron)
{{flags}}`,
    needsCommand: 'wirelog run needs a command to start: wirelog run -- COMMAND [ARGS...]',
    userProxy:
      "{{name}}={{value}} is set in this shell, but the command's calls go through wirelog, which connects to providers directly, not through that proxy: a provider this machine reaches only through it will time out; to send them through it, add --upstream-proxy {{flag}} (to this wirelog run, or to the wirelog start it uses)",
    upstreamProxyUnused:
      '--upstream-proxy is not used: the command goes through the wirelog already running on {{dataDir}}; start that one with --upstream-proxy',
    notFound: 'command not found: {{command}} (check the name and your PATH)',
    cannotStart: 'could not start {{command}}: {{error}}',
    capturedRunning: 'the captures are in the running wirelog: {{url}}',
    capturedPrivate_one:
      'captured {{count}} exchange into {{dataDir}}: see it with `{{list}}`, or run `{{start}}` and open the viewer',
    capturedPrivate_other:
      'captured {{count}} exchanges into {{dataDir}}: see them with `{{list}}`, or run `{{start}}` and open the viewer',
  },
  env: {
    help: `wirelog env [--shell bash|zsh|fish|powershell] [--proxy-port N] [--data-dir DIR]
Prints the variables that send programs through wirelog: eval "$(wirelog env)" (fish: wirelog env | source)
Without --shell, the shell is read from $SHELL (or the shell that started wirelog).`,
    badShell: '--shell must be bash, zsh, fish or powershell, not "{{value}}"',
  },
  url: {
    help: `wirelog url BASE_URL [--proxy-port N] [--data-dir DIR]
Prints the gateway form of a client's base URL: set it as the client's base URL, and its calls are captured with no proxy setting and no CA.
  wirelog url https://openrouter.ai/api/v1   ->   http://127.0.0.1:8899/https/openrouter.ai/api/v1`,
    needsOne: 'wirelog url needs one base URL, such as https://openrouter.ai/api/v1',
    token: 'this wirelog listens beyond loopback: replace TOKEN with the gateway token it printed at start',
    notAUrl: '"{{value}}" is not a URL: give the base URL the client uses now, such as https://openrouter.ai/api/v1',
    scheme: 'the gateway forwards http and https, not {{scheme}}',
    credentials: 'a base URL with user:password in it cannot go through the gateway: send the credentials as a header',
    endpoint:
      '{{value}} ends in {{segment}}, an endpoint, not a base URL: clients (Codex, the OpenAI and Anthropic SDKs, Claude Code) append the endpoint themselves, so the relay gets it twice and answers 404; as a base URL use {{gateway}} (the gateway form of {{fixed}})',
    cherry: '; Cherry Studio takes the whole address when it ends in #: {{cherry}}',
    repeated:
      '{{value}} has {{segment}} twice: the relay answers 404 for that path; as a base URL use {{gateway}} (the gateway form of {{fixed}})',
    alreadyGateway:
      '{{value}} is already a gateway URL (of {{upstream}}): the line above is its gateway form for this wirelog, use it as it is',
  },
  ca: {
    help: `wirelog ca [--pem] [--regenerate] [--data-dir DIR]: where the CA is, its fingerprint, and how to trust it
  --regenerate   replace the CA with a new one (trust the new one; the old one stops working)`,
    running: 'wirelog is running on {{dataDir}} (pid {{pid}}) with the current CA: stop it, then regenerate',
    replaced: 'a new CA replaces the old one; remove the old one from trust stores, and trust this one:',
    info: `wirelog CA certificate: {{path}}
SHA-256 fingerprint:    {{fingerprint}}
Valid until:            {{notAfter}}
Leaf key SPKI (for --ignore-certificate-errors-spki-list): {{spki}}
Chromium/Electron apps take flags, not the CA: {{chromiumFlags}}
  (wirelog run -- chromium ... adds them itself; --chromium for an Electron app)
The private key stays in {{dir}} (owner-only) and never leaves it.`,
    // Around the trust commands of certs/trust.ts (the commands themselves are the same in every language).
    trust: {
      intro: 'How to trust it system-wide (only needed for apps that wirelog run / wirelog env cannot configure):',
      asRoot: '(as root: the same without sudo)',
      windows: 'Windows (PowerShell as administrator):',
      clients:
        'Node apps: NODE_EXTRA_CA_CERTS; Codex: CODEX_CA_CERTIFICATE; Python requests: REQUESTS_CA_BUNDLE (see `wirelog env`).',
    },
  },
  list: {
    help: 'wirelog list [--json] [--limit N] [--data-dir DIR]: recent exchanges, newest first (✗ marks a failed one)',
    header: {
      id: 'ID',
      time: 'TIME (UTC)',
      method: 'METHOD',
      status: 'STATUS',
      duration: 'DURATION',
      size: 'SIZE',
      model: 'MODEL',
      url: 'URL',
    },
    damaged: 'damaged: {{reasons}}',
    damagedRows: '{{count}} of these row(s) are damaged in the database: shown with what could be read',
    none: 'no exchanges stored yet',
  },
  export: {
    help: `wirelog export --har FILE [--since ISO] [--host H] [--data-dir DIR]: write captures as HAR 1.2 ("-" for stdout)
wirelog export --otlp [--otlp-endpoint URL] [--otlp-content] [--since ISO] [--host H]: send them as OpenTelemetry spans
  (to --otlp-endpoint, else OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)`,
    needsTarget: 'wirelog export needs --har FILE (or --har - for standard output), or --otlp',
    since: '--since must be an ISO date such as 2026-11-24T10:00:00Z, not "{{value}}"',
    otlpNeedsEndpoint: 'wirelog export --otlp needs --otlp-endpoint URL (or OTEL_EXPORTER_OTLP_ENDPOINT)',
    spansRefused: '{{failed}} of {{sent}} span(s) were refused by the collector',
    spansSent: 'sent {{sent}} exchange(s) as spans',
    collectorRefused: 'the collector refused {{spans}} span(s): {{error}}',
    noReason: 'no reason given',
    progress: '{{sent}} of {{total}} exchange(s) sent to {{url}}',
    wrote: 'wrote {{count}} exchange(s) to {{file}}',
  },
  otlp: {
    contentNeedsEndpoint:
      '--otlp-content needs --otlp-endpoint URL (or OTEL_EXPORTER_OTLP_ENDPOINT): there is nowhere to send spans',
    notHttp: 'the OTLP endpoint "{{url}}" is not an http(s) URL, such as http://127.0.0.1:4318',
    protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json, not "{{value}}" (grpc is not supported)',
    queue: 'OTEL_BSP_MAX_QUEUE_SIZE must be a whole number of spans (1 or more), not "{{value}}"',
    failed:
      'exporting spans to {{url}} failed: {{error}} ({{spans}} span(s)); retrying, traffic and storage are not held up',
    recovered: 'exporting spans to {{url}} works again',
    dropped: '{{spans}} span(s) were left out: more arrived than the exporter could queue ({{total}} so far)',
    stopped: 'the OTLP exporter stopped: {{error}}',
  },
  doctor: {
    help: `wirelog doctor [--last N | ID] [--json] [--data-dir DIR]: what went wrong in recent exchanges, and the fix
The same diagnosis of the same client and URL is one entry (a client that retried). --json: one object per entry
(rule ids and summary/fix in English for scripts; "text" has them in the CLI's language).
Exit code 1 when any diagnosis is an error, or a call was not delivered.`,
    oneId: 'wirelog doctor takes one exchange id (a number), or --last N',
    damagedNotDiagnosed: 'exchange #{{id}} is damaged in the database, not diagnosed: {{reasons}}',
    tries: '{{count}} tries, {{first}}-{{last}}',
    severity: { error: 'error', warning: 'warning', info: 'info' },
    fix: '  fix: {{fix}}',
    compared: '  compared: {{difference}}',
    damagedEntry:
      '#{{id}} damaged in the database: {{reasons}}\n  fix: the file was changed by something other than wirelog (a disk error, another program); what could be read is shown in the viewer, and export leaves it out',
    noProblemsIn: 'No problems found in exchange {{id}}.',
    undelivered: 'wirelog could not deliver it to the provider: {{error}}',
    undeliveredFix:
      "check the host and port in the client's base URL, and that this machine reaches them directly (wirelog does not go through the shell's proxy)",
    refused: 'wirelog refused it: {{error}}',
    loopFix:
      "the call came to wirelog through wirelog: a base URL already in the gateway form (http://127.0.0.1:8899/https/...) sent through wirelog's proxy as well (HTTPS_PROXY from `wirelog env`); use one of the two: unset HTTPS_PROXY and HTTP_PROXY, or set the base URL back to the relay's own",
    noProblemsLast: 'No problems found in the last {{count}} exchange(s).',
  },
  replay: {
    help: `wirelog replay ID [--url URL] [--method M] [--header "Name: value"]... [--remove-header NAME]...
               [--body-file FILE] [--fix] [--send-secrets-to HOST[:PORT]] [--json] [--timeout S] [--data-dir DIR]
Sends exchange ID again through the running wirelog (recorded as a new exchange, linked to ID), and
prints the new exchange's id, status and the first line of its answer. Exit code 0 on a 2xx, 1 otherwise.
  --header "Name: value"   set a header (replacing one of that name); also how to give a key wirelog no longer has in memory
  --remove-header NAME     send without that header
  --body-file FILE         send this file as the body (its bytes as they are)
  --fix                    apply the fix the diagnosis of ID proposes (a corrected URL, a missing key, a listed model,
                           a lower max_tokens); when it works, prints the client settings that did
  --send-secrets-to HOST[:PORT]
                           a key wirelog remembers goes only back to the scheme, host and port it was captured for: to
                           send it to the replay's other host, name exactly that host (and port, unless the default).
                           A key captured over HTTPS is never sent over plain HTTP, even then
  --timeout S              how long to wait for the answer (default 300)`,
    header: '--header needs "Name: value", not "{{value}}"',
    oneId: 'wirelog replay takes one exchange id (a number; see `wirelog list`)',
    timeout: '--timeout must be a number of seconds, not "{{value}}"',
    notRunning:
      'no wirelog is running on {{dataDir}}: a replay goes out through a running wirelog (it holds the keys of recent requests in memory); start it with `wirelog start`',
    noViewer:
      'the wirelog running on {{dataDir}} has no viewer (a private `wirelog run` capture): replay from a `wirelog start` instance',
    cannot: 'cannot replay #{{id}}: {{error}}',
    result: '#{{id}} {{reason}}  (replay of #{{original}})  {{answer}}',
    withheld: '  [withheld] {{message}}',
    forCodex: '  For Codex (~/.codex/config.toml), exactly what worked:',
    forCherry: '  For Cherry Studio: provider type {{providerType}}, API address {{address}}',
    bodyFile: 'cannot read --body-file {{file}}: {{error}}',
    stillRunning:
      'exchange #{{id}} is still {{state}} after {{seconds}} s: see it in the viewer, or wait longer with --timeout',
  },
  codexConfig: {
    help: `wirelog codex-config ID [--gateway] [--data-dir DIR]: a Codex [model_providers] block that reproduces a call that worked
  --gateway   its base_url in wirelog's gateway form, so Codex's calls are captured with no proxy setting`,
    needsId: 'wirelog codex-config needs the id of a captured call that worked (see `wirelog list`)',
    header: 'in ~/.codex/config.toml',
    notAModelCall:
      'exchange {{id}} is not a Responses or Chat Completions call, so it says nothing about a Codex provider',
    failed:
      'exchange {{id}} failed ({{status}}): pick one that worked, or run `wirelog doctor {{id}}` to see why it failed',
  },
  import: {
    help: `wirelog import FILE.har [--keep-secrets] [--data-dir DIR]
Reads every entry of a HAR file (Chrome DevTools, Playwright, mitmproxy, wirelog) as exchanges, marked
as imported with the file's name: SSE events and WebSocket messages restored, secrets masked as for
live captures (unless --keep-secrets), model calls rebuilt and diagnosed. Every entry is checked
before any is stored: a bad one anywhere and none is. Progress goes to stderr.`,
    oneFile: 'wirelog import takes one HAR file: wirelog import capture.har',
    notFound:
      'there is no file {{file}}: check the path (a HAR file is what a browser\'s Network panel saves with "Save all as HAR", or what `wirelog export --har` writes)',
    directory: '{{file}} is a folder: give the HAR file in it (wirelog import FOLDER/capture.har)',
    storing: 'storing {{name}}: {{stored}} of {{entries}} entries stored',
    checking: 'checking {{name}}: {{entries}} entries, {{read}}',
    receiving: 'receiving {{name}}: {{entries}} entries, {{read}}',
    readOf: '{{read}} of {{total}} MB read',
    read: '{{read}} MB read',
    note: 'note: {{note}}',
    imported:
      'imported {{count}} exchange(s) from {{name}}: #{{first}}-#{{last}} (see `wirelog list`, `wirelog doctor` or the viewer)',
    empty: '{{name}} has no entries: nothing imported',
  },
};

export type CliCommands = Shape<typeof cliCommands>;
