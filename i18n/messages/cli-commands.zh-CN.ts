// 命令行的中文：各命令的 --help、一行报错和输出。配置片段、URL、参数名、shell 命令原样保留。
import type { CliCommands } from './cli-commands.en.ts';

export const cliCommandsZhCN: CliCommands = {
  command: {
    suggest: '没有 "{{name}}" 这个命令：是不是想用 `wirelog {{suggestion}}`？（见 wirelog --help）',
    agent: '"{{name}}" 不是 wirelog 的命令：要抓 {{name}} 发出的请求，用 `wirelog run -- {{command}}` 启动它',
  },
  flags: {
    unknown: "不认识的参数 '{{flag}}'（见 `wirelog {{command}} --help`）",
    unknownSuggest: "不认识的参数 '{{flag}}'：是不是想用 {{suggestion}}？（见 `wirelog {{command}} --help`）",
    needsValue: '{{flag}} 后面要跟一个值（见 `wirelog {{command}} --help`）',
    needsHarFile: '{{flag}} 后面要跟文件名：wirelog export --har captures.har（写到标准输出用 --har -）',
    takesNoValue: '{{flag}} 不带值（见 `wirelog {{command}} --help`）',
    unexpected: "多余的参数 '{{arg}}'：wirelog {{command}} 只接受选项（见 `wirelog {{command}} --help`）",
    invalid: '参数有误：{{message}}（见 `wirelog {{command}} --help`）',
    port: '{{flag}} 要填 0 到 65535 之间的端口号，"{{value}}" 不行',
    maxBodyMb: '--max-body-mb 要填兆字节数（0 或以上），"{{value}}" 不行',
    seconds: '{{flag}} 要填大于 0 的秒数，"{{value}}" 不行',
    proxyAuth: '--proxy-auth 的格式是 用户名:密码',
    upstreamProxyScheme:
      '--upstream-proxy {{value}}：只支持 HTTP 代理（http://，支持 CONNECT 的那种），不支持 {{scheme}}；Clash、V2Ray 等大多也提供 HTTP 代理：填那个端口，比如 --upstream-proxy http://127.0.0.1:7890',
    upstreamProxyInvalid:
      '--upstream-proxy {{value}} 不是代理地址：请用 http://主机:端口 或 http://用户名:密码@主机:端口',
    maxDbMb: '--max-db-mb 要填兆字节数（1 或以上），"{{value}}" 不行',
    maxAgeDays: '--max-age-days 要填大于 0 的天数，"{{value}}" 不行',
    maxConnections: '--max-connections 要填连接数（1 或以上的整数），"{{value}}" 不行',
    wholeNumber: '{{flag}} 要填请求条数（正整数），"{{value}}" 不行',
    langNeedsValue: '--lang 后面要跟语言：{{languages}}',
    langUnknown: '--lang {{value}}：wirelog 只支持 {{languages}}',
  },
  capture: {
    help: `  --proxy-port N         代理端口（默认 8899）
  --ui-port N            查看器和 API 的端口（默认 8900）
  --host ADDR            监听地址（默认 127.0.0.1）
  --data-dir DIR         数据库和 CA 所在目录（默认 $WIRELOG_HOME 或 ~/.wirelog）
  --keep-secrets         API 密钥、Cookie、令牌原样保存，不打码
  --upstream-ca FILE     上游服务器额外信任这个 PEM 格式的 CA
  --insecure-upstream    不校验上游证书（本地测试服务器用）
  --upstream-proxy URL   通过这个 HTTP 代理（CONNECT）连接上游，比如 Clash 的 http://127.0.0.1:7890
                         （代理要密码时用 http://用户名:密码@主机:端口；不支持 socks5://）
  --max-body-mb N        每个 body 最多存多少 MB（默认 50）；客户端总能收到完整内容
  --max-db-mb N          数据库控制在 N MB 以内，超出时先删最早的请求（默认 2048）
  --max-age-days D       删除 D 天前的请求（默认一直保留）
  --proxy-auth U:P       客户端必须带上这组用户名密码（--host 不是本机回环地址时必须设）
  --connect-timeout S    连接上游超过 S 秒就放弃（默认 30）
  --idle-timeout S       上游 S 秒没有动静就放弃（默认 600；推理模型可能很慢）
  --handshake-timeout S  CONNECT 隧道 S 秒内没完成 TLS 握手就关闭（默认 10）
  --request-head-timeout S  客户端连接 S 秒内没发完请求头就关闭（默认 30）
  --max-connections N    同时最多接受的客户端连接数，超出的回 503（默认按可打开文件数上限算，最多 4096）
  --otlp-endpoint URL    每个请求同时作为 OpenTelemetry span（OTLP over HTTP）发到这个收集器
                         （也可用 OTEL_EXPORTER_OTLP_ENDPOINT；OTEL_EXPORTER_OTLP_PROTOCOL 取 http/protobuf 或 http/json）
  --otlp-content         span 里也带上提示词和回答（和其他内容一样打码）`,
  },
  dataDir: {
    noCaptures:
      '{{dataDir}} 里还没有抓到任何请求：先启动 wirelog（`wirelog start`）并让流量经过它，或者用 --data-dir 指定正确的目录',
    noExchange: '{{dataDir}} 里没有编号 {{id}} 的请求（用 `wirelog list` 查看）',
    notRunning: '{{dataDir}} 上还没有运行中的 wirelog：用 `wirelog start` 启动',
    widened:
      '数据目录 {{dataDir}} 其他用户也能读（权限 {{mode}}）；里面有抓到的请求和 CA 私钥，已改成仅本人可访问（700）',
  },
  start: {
    help: `wirelog start [参数]：运行代理和查看器，按 Ctrl-C 停止
{{flags}}`,
    alreadyRunning:
      '{{dataDir}} 上已经有 wirelog 在运行（pid {{pid}}，代理 {{proxyUrl}}）：直接用它、先停掉它，或者换一个 --data-dir',
    internalError: '内部错误，仍在运行（请反馈给我们）：{{error}}',
    capturing: 'wirelog 正在抓包。',
    proxy: '  代理：    {{url}}',
    gateway: '  网关：    {{url}}  （任意 base URL 接在这个地址后面即可：`wirelog url URL`）',
    tokenOnce: '  （令牌只在这里显示一次）',
    viewer: '  查看器：  {{url}}',
    viewerOff: '  查看器：  （未开启）',
    data: '  数据：    {{dataDir}}',
    ca: '  CA：      {{path}}',
    fingerprint: '            SHA-256 指纹 {{fingerprint}}',
    secretsKept: '  密钥：    按原样保存（--keep-secrets）',
    secretsMasked: '  密钥：    保存前已打码',
    otlp: '  OTLP：    span 发往 {{url}}（{{protocol}}）',
    otlpContent: '  OTLP：    span 发往 {{url}}（{{protocol}}，带提示词和回答）',
    howTo: `让流量经过它：
  {{wirelog}} run -- codex exec "hello"          启动一个程序，代理和 CA 都已设好
  eval "$({{wirelog}} env)"                      在当前 shell 里设置（其他 shell：--shell fish|powershell）
  或者把应用的代理设置指向 {{proxyUrl}}，并信任 CA（{{wirelog}} ca）
  Chromium/Electron：{{chromiumFlags}}
                     （{{wirelog}} run -- chromium ... 会自动加上；Electron 应用加 --chromium）`,
    notOnPath: '（PATH 里没有 `wirelog` 命令：在 wirelog 目录里运行一次 `npm link` 就有了）',
    pressCtrlC: '按 Ctrl-C 停止。',
    userProxy:
      '这个 shell 设置了 {{name}}={{value}}，但 wirelog 直接连接服务商，不走这个代理：只有通过它才能访问的服务商（比如在国内访问 api.openai.com、chatgpt.com 或 Google 的接口）会连接超时；要让 wirelog 也走这个代理，启动时加上 --upstream-proxy {{flag}}',
    beyondLoopback:
      '警告：正在监听 {{host}}：其他机器可以连上这个代理（需要 --proxy-auth 的用户名密码），也能打开查看器（需要上面 URL 里的令牌，拿到它就能看所有抓到的内容）',
    stopping: '正在停止，先把还没写完的保存下来……',
  },
  instance: {
    notLocal: '--host {{host}} 不是本机的地址（{{code}}）：用 --host 127.0.0.1，或者本机实际有的地址',
    needsProxyAuth:
      '监听 {{host}} 会让其他机器也能用这个代理：加上 --proxy-auth 用户名:密码（客户端再用 http://user:password@host:port 连接）',
    what: { proxy: '代理', viewer: '查看器' },
    portInUse: '{{what}}端口 {{port}} 已被占用：停掉那个程序，或用 {{flag}} N 换个端口',
    portInUseByWirelog:
      '{{what}}端口 {{port}} 已被另一个 wirelog 占用：停掉它（在它运行的终端按 Ctrl-C），或用 {{flag}} N 换个端口',
    portDenied: '没有权限监听{{what}}端口 {{port}}：用 {{flag}} N 换一个 1024 以上的端口',
    hostNotHere: '无法启动{{what}}：--host 给的地址不在本机上；用 --host 127.0.0.1',
    cannotListen: '无法在端口 {{port}} 上启动{{what}}：{{error}}',
    cannotReadCa: '读不了 --upstream-ca {{file}}：{{error}}',
    noPem: '--upstream-ca {{file}} 里没有 PEM 证书（-----BEGIN CERTIFICATE-----）',
    captureFailed: '抓包失败：{{error}}',
  },
  run: {
    help: `wirelog run [参数] -- 命令 [命令参数...]：运行一个命令，并抓下它的流量
如果这个数据目录已经有 wirelog 在运行，就直接用它；否则在空闲端口上临时起一个私有代理，
命令结束就停（抓到的请求写进同一个数据库）。
wirelog 的退出码就是这个命令的退出码。
  --chromium        这个命令是 Chromium 或 Electron 应用（Cherry Studio 等）：加上代理、回环地址和证书参数
                    （chromium、google-chrome、msedge、brave、electron 不用加这个参数也会自动处理）
{{flags}}`,
    needsCommand: 'wirelog run 需要一个要启动的命令：wirelog run -- 命令 [命令参数...]',
    userProxy:
      '这个 shell 设置了 {{name}}={{value}}，但这个命令的请求经过 wirelog，而 wirelog 直接连接服务商，不走这个代理：只有通过它才能访问的服务商会连接超时；要走这个代理，加上 --upstream-proxy {{flag}}（加在这条 wirelog run 上，或它所用的 wirelog start 上）',
    upstreamProxyUnused:
      '--upstream-proxy 没有生效：这个命令用的是 {{dataDir}} 上已经在运行的 wirelog；请给那个 wirelog start 加上 --upstream-proxy',
    notFound: '找不到命令：{{command}}（检查一下命令名和 PATH）',
    cannotStart: '启动不了 {{command}}：{{error}}',
    capturedRunning: '抓到的请求在运行中的 wirelog 里：{{url}}',
    capturedPrivate_one:
      '抓到 {{count}} 个请求，已存入 {{dataDir}}：用 `{{list}}` 查看，或运行 `{{start}}` 后打开查看器',
    capturedPrivate_other:
      '抓到 {{count}} 个请求，已存入 {{dataDir}}：用 `{{list}}` 查看，或运行 `{{start}}` 后打开查看器',
  },
  env: {
    help: `wirelog env [--shell bash|zsh|fish|powershell] [--proxy-port N] [--data-dir DIR]
输出让程序走 wirelog 的环境变量：eval "$(wirelog env)"（fish：wirelog env | source）
不加 --shell 时，按 $SHELL（或启动 wirelog 的那个 shell）判断用哪种写法。`,
    badShell: '--shell 只能是 bash、zsh、fish 或 powershell，"{{value}}" 不行',
  },
  url: {
    help: `wirelog url BASE_URL [--proxy-port N] [--data-dir DIR]
输出客户端 base URL 的网关形式：把它填成客户端的 base URL，不用设代理、不用装 CA 就能抓到它的请求。
  wirelog url https://openrouter.ai/api/v1   ->   http://127.0.0.1:8899/https/openrouter.ai/api/v1`,
    needsOne: 'wirelog url 需要一个 base URL，比如 https://openrouter.ai/api/v1',
    token: '这个 wirelog 监听的不只是本机回环地址：把 TOKEN 换成它启动时打印的网关令牌',
    notAUrl: '"{{value}}" 不是 URL：填客户端现在用的 base URL，比如 https://openrouter.ai/api/v1',
    scheme: '网关只转发 http 和 https，不支持 {{scheme}}',
    credentials: '带 user:password 的 base URL 不能走网关：把凭据放到请求头里发送',
    endpoint:
      '{{value}} 以 {{segment}} 结尾，这是接口路径，不是 base URL：Codex、OpenAI 和 Anthropic 的 SDK、Claude Code 都会自己在 base URL 后面拼接口路径，拼两遍中转站就回 404；base URL 请填 {{gateway}}（{{fixed}} 的网关形式）',
    cherry: '；Cherry Studio 要填完整地址的话，以 # 结尾：{{cherry}}',
    repeated:
      '{{value}} 里 {{segment}} 出现了两次：中转站对这样的路径回 404；base URL 请填 {{gateway}}（{{fixed}} 的网关形式）',
    alreadyGateway:
      '{{value}} 已经是网关地址（对应 {{upstream}}）：上面一行是它在这个 wirelog 上的网关形式，直接用即可',
  },
  ca: {
    help: `wirelog ca [--pem] [--regenerate] [--data-dir DIR]：CA 证书在哪、指纹是多少、怎么信任它
  --regenerate   换一个新的 CA（要重新信任新的，旧的随即失效）`,
    running: '{{dataDir}} 上的 wirelog（pid {{pid}}）正在用当前的 CA：先停掉它，再重新生成',
    replaced: '新 CA 已替换旧 CA；把旧的从信任列表里删掉，然后信任这个：',
    info: `wirelog CA 证书：     {{path}}
SHA-256 指纹：        {{fingerprint}}
有效期至：            {{notAfter}}
叶子证书公钥 SPKI（用于 --ignore-certificate-errors-spki-list）：{{spki}}
Chromium/Electron 应用不读 CA，要加参数：{{chromiumFlags}}
  （wirelog run -- chromium ... 会自动加上；Electron 应用加 --chromium）
私钥留在 {{dir}} 里（仅本人可读），不会离开这个目录。`,
    trust: {
      intro: '在系统范围信任它（只有 wirelog run / wirelog env 配置不了的应用才需要）：',
      asRoot: '（root 用户：去掉 sudo 即可）',
      windows: 'Windows（以管理员身份运行 PowerShell）：',
      clients:
        'Node 应用：NODE_EXTRA_CA_CERTS；Codex：CODEX_CA_CERTIFICATE；Python requests：REQUESTS_CA_BUNDLE（见 `wirelog env`）。',
    },
  },
  list: {
    help: 'wirelog list [--json] [--limit N] [--data-dir DIR]：最近的请求，最新的在前（✗ 表示失败）',
    header: {
      id: '编号',
      time: '时间 (UTC)',
      method: '方法',
      status: '状态',
      duration: '耗时',
      size: '大小',
      model: '模型',
      url: 'URL',
    },
    damaged: '已损坏：{{reasons}}',
    damagedRows: '其中 {{count}} 行在数据库里已损坏：只显示能读出来的部分',
    none: '还没有保存任何请求',
  },
  export: {
    help: `wirelog export --har FILE [--since ISO] [--host H] [--data-dir DIR]：把抓到的请求写成 HAR 1.2（"-" 表示标准输出）
wirelog export --otlp [--otlp-endpoint URL] [--otlp-content] [--since ISO] [--host H]：作为 OpenTelemetry span 发出去
  （发往 --otlp-endpoint，没给就用 OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT）`,
    needsTarget: 'wirelog export 需要 --har FILE（写到标准输出用 --har -），或者 --otlp',
    since: '--since 要填 ISO 格式的时间，比如 2026-11-24T10:00:00Z，"{{value}}" 不行',
    otlpNeedsEndpoint: 'wirelog export --otlp 需要 --otlp-endpoint URL（或 OTEL_EXPORTER_OTLP_ENDPOINT）',
    spansRefused: '{{sent}} 个 span 中有 {{failed}} 个被收集器拒收',
    spansSent: '已把 {{sent}} 个请求作为 span 发出',
    collectorRefused: '收集器拒收了 {{spans}} 个 span：{{error}}',
    noReason: '没有给出原因',
    progress: '已发送 {{sent}} / {{total}} 个请求到 {{url}}',
    wrote: '已把 {{count}} 个请求写入 {{file}}',
  },
  otlp: {
    contentNeedsEndpoint:
      '--otlp-content 需要 --otlp-endpoint URL（或 OTEL_EXPORTER_OTLP_ENDPOINT）：不然 span 没地方发',
    notHttp: 'OTLP 地址 "{{url}}" 不是 http(s) URL，应该像 http://127.0.0.1:4318 这样',
    protocol: 'OTEL_EXPORTER_OTLP_PROTOCOL 只能是 http/protobuf 或 http/json，"{{value}}" 不行（不支持 grpc）',
    queue: 'OTEL_BSP_MAX_QUEUE_SIZE 要填 span 个数（1 或以上的整数），"{{value}}" 不行',
    failed: '向 {{url}} 导出 span 失败：{{error}}（{{spans}} 个 span）；正在重试，流量和存储不受影响',
    recovered: '向 {{url}} 导出 span 已恢复正常',
    dropped: '有 {{spans}} 个 span 没有导出：来得比导出器能排队的还快（累计 {{total}} 个）',
    stopped: 'OTLP 导出器停止了：{{error}}',
  },
  doctor: {
    help: `wirelog doctor [--last N | 编号] [--json] [--data-dir DIR]：最近的请求哪里出了问题，怎么修
同一个客户端对同一个 URL 的同一种诊断只算一条（客户端重试的那些）。--json：每条一个对象
（规则 id 和英文的 summary/fix 留给脚本用；"text" 里是命令行当前语言的版本）。
只要有一条诊断是错误，或者有请求没能送达，退出码就是 1。`,
    oneId: 'wirelog doctor 只接受一个请求编号（数字），或者 --last N',
    damagedNotDiagnosed: '请求 #{{id}} 在数据库里已损坏，没有诊断：{{reasons}}',
    tries: '重试 {{count}} 次，{{first}}-{{last}}',
    severity: { error: '错误', warning: '警告', info: '提示' },
    fix: '  修复：{{fix}}',
    undelivered: 'wirelog 没能把它送到服务商：{{error}}',
    undeliveredFix: '检查客户端 base URL 里的域名和端口，以及本机能否直连它们（wirelog 不走 shell 里设置的代理）',
    refused: 'wirelog 拒绝了它：{{error}}',
    loopFix:
      '这个请求经过 wirelog 又回到了 wirelog：base URL 已经是网关地址（http://127.0.0.1:8899/https/...），同时又设置了 wirelog 的代理（`wirelog env` 设置的 HTTPS_PROXY）；两者只用一个：unset HTTPS_PROXY 和 HTTP_PROXY，或者把 base URL 改回中转站自己的地址',
    compared: '  对比：{{difference}}',
    damagedEntry:
      '#{{id}} 在数据库里已损坏：{{reasons}}\n  修复：数据库文件被 wirelog 以外的东西改过（磁盘错误或其他程序）；能读出来的部分在查看器里能看到，导出时会跳过它',
    noProblemsIn: '请求 {{id}} 没有发现问题。',
    noProblemsLast: '最近 {{count}} 个请求没有发现问题。',
  },
  replay: {
    help: `wirelog replay 编号 [--url URL] [--method M] [--header "Name: value"]... [--remove-header NAME]...
               [--body-file FILE] [--fix] [--send-secrets-to HOST[:PORT]] [--json] [--timeout S] [--data-dir DIR]
通过正在运行的 wirelog 把这个请求重新发一次（记成一个新请求，并关联到原来的编号），
然后打印新请求的编号、状态码和回答的第一行。返回 2xx 时退出码为 0，否则为 1。
  --header "Name: value"   设置一个请求头（同名的会被替换）；wirelog 内存里已经没有的密钥也用它补上
  --remove-header NAME     发送时去掉这个请求头
  --body-file FILE         用这个文件作为请求体（按原始字节发送）
  --fix                    按诊断给出的修复来发（改正后的 URL、缺的密钥、服务商列出的模型、更小的 max_tokens）；
                           成功的话，打印出这次成功所用的客户端配置
  --send-secrets-to HOST[:PORT]
                           wirelog 记住的密钥只会发回抓到它时的那个协议、主机和端口：要发给重放时的另一个主机，
                           就得明确写出那个主机（端口不是默认的话也要写上）。
                           通过 HTTPS 抓到的密钥，即使这样也绝不会通过明文 HTTP 发送
  --timeout S              等待回答多久（默认 300 秒）`,
    header: '--header 的格式是 "Name: value"，"{{value}}" 不行',
    oneId: 'wirelog replay 只接受一个请求编号（数字；用 `wirelog list` 查看）',
    timeout: '--timeout 要填秒数，"{{value}}" 不行',
    notRunning:
      '{{dataDir}} 上没有运行中的 wirelog：重放要经过运行中的 wirelog（最近请求的密钥只在它的内存里）；用 `wirelog start` 启动',
    noViewer:
      '{{dataDir}} 上运行的 wirelog 没有查看器（是 `wirelog run` 临时起的私有代理）：请在 `wirelog start` 启动的实例上重放',
    cannot: '无法重放 #{{id}}：{{error}}',
    result: '#{{id}} {{reason}}  （重放自 #{{original}}）  {{answer}}',
    withheld: '  [未发送] {{message}}',
    forCodex: '  Codex（~/.codex/config.toml），这次成功用的就是：',
    forCherry: '  Cherry Studio：提供商类型 {{providerType}}，API 地址 {{address}}',
    bodyFile: '读不了 --body-file {{file}}：{{error}}',
    stillRunning: '请求 #{{id}} 过了 {{seconds}} 秒仍是 {{state}} 状态：到查看器里看，或者用 --timeout 多等一会儿',
  },
  codexConfig: {
    help: `wirelog codex-config 编号 [--gateway] [--data-dir DIR]：根据一次成功的调用生成 Codex 的 [model_providers] 配置块
  --gateway   base_url 用 wirelog 的网关形式，这样不用设代理也能抓到 Codex 的请求`,
    needsId: 'wirelog codex-config 需要一次成功调用的编号（用 `wirelog list` 查看）',
    header: '写进 ~/.codex/config.toml',
    notAModelCall: '请求 {{id}} 不是 Responses 或 Chat Completions 调用，没法据此生成 Codex 的提供商配置',
    failed: '请求 {{id}} 失败了（{{status}}）：换一个成功的调用，或者运行 `wirelog doctor {{id}}` 看看为什么失败',
  },
  import: {
    help: `wirelog import FILE.har [--keep-secrets] [--data-dir DIR]
把 HAR 文件（Chrome DevTools、Playwright、mitmproxy、wirelog 导出的）里的每一条都导入成请求，并标记为
从该文件导入：恢复 SSE 事件和 WebSocket 消息，密钥和实时抓包一样打码（除非加 --keep-secrets），
模型调用会被还原并诊断。存之前先检查每一条：只要有一条不对，一条都不存。进度输出到 stderr。`,
    notFound:
      '找不到文件 {{file}}：检查一下路径（HAR 文件是浏览器开发者工具「网络」面板里「以 HAR 格式保存全部内容」存下的文件，或者 `wirelog export --har` 写出的文件）',
    directory: '{{file}} 是一个文件夹：请给出里面的 HAR 文件（wirelog import 文件夹/capture.har）',
    oneFile: 'wirelog import 只接受一个 HAR 文件：wirelog import capture.har',
    storing: '正在保存 {{name}}：已存 {{stored}} / {{entries}} 条',
    checking: '正在检查 {{name}}：{{entries}} 条，{{read}}',
    receiving: '正在接收 {{name}}：{{entries}} 条，{{read}}',
    readOf: '已读 {{read}} / {{total}} MB',
    read: '已读 {{read}} MB',
    note: '注意：{{note}}',
    imported:
      '从 {{name}} 导入了 {{count}} 个请求：#{{first}}-#{{last}}（用 `wirelog list`、`wirelog doctor` 或查看器查看）',
    empty: '{{name}} 里没有任何条目：什么都没导入',
  },
};
