// 简体中文：写给在中国用 Codex、Cherry Studio 接中转站的开发者，用他们自己的说法
// （中转站、令牌、渠道、分组、额度、余额），不逐字直译。
import type { Messages } from './en.ts';
import { usageZhCN } from './usage.zh-CN.ts';
import { server as serverZhCN } from './server.zh-CN.ts';
import { bigBodyZhCN } from './bodies.zh-CN.ts';
import { cliCommandsZhCN } from './cli-commands.zh-CN.ts';
import { searchIndexZhCN } from './search-index.zh-CN.ts';
import { indexBuildZhCN } from './index-build.zh-CN.ts';
import { searchScaleZhCN } from './search-scale.zh-CN.ts';
import { storageThreadZhCN } from './storage-thread.zh-CN.ts';
import { storageNewsZhCN } from './storage-news.zh-CN.ts';
import { imagesZhCN } from './images.zh-CN.ts';
import { listViewZhCN } from './list-view.zh-CN.ts';
import { agentZhCN } from './agent.zh-CN.ts';
import { sessionsZhCN } from './sessions.zh-CN.ts';
import { sessionExportZhCN } from './session-export.zh-CN.ts';
import { mcpZhCN } from './mcp.zh-CN.ts';
import { importFailuresZhCN } from './er.zh-CN.ts';
import { trustZhCN } from './trust.zh-CN.ts';
import { launchZhCN } from './launch.zh-CN.ts';
import { dataFilesZhCN } from './data-files.zh-CN.ts';
import { viewerToolsZhCN } from './viewer-tools.zh-CN.ts';
import { keyboardAccessZhCN } from './keyboard-access.zh-CN.ts';
import { viewerStartZhCN } from './viewer-start.zh-CN.ts';
import { harExportZhCN } from './har-export.zh-CN.ts';
import { qaZhCN } from './qa.zh-CN.ts';

export const zhCN: Messages = {
  language: {
    name: '简体中文',
    switch: '语言',
  },
  cli: {
    usage: `wirelog {{version}}：看清你的 AI 工具到底给模型服务商（中转站）发了什么、收到了什么

  wirelog [start]          启动代理（127.0.0.1:8899）和查看器（http://127.0.0.1:8900）
  wirelog run -- CMD ...   运行一个命令，抓下它的全部请求
  wirelog env              打印当前 shell 要设置的代理和 CA 环境变量
  wirelog url BASE_URL     把客户端的 base URL 改写成网关形式（不用设代理，不用装 CA）
  wirelog ca               查看 CA 证书，以及如何信任它
  wirelog list             最近的请求
  wirelog export --har F   把抓到的请求导出为 HAR
  wirelog import F.har     导入 HAR（Chrome、Playwright、mitmproxy 导出的都行）
  wirelog doctor           最近的调用哪里出了错，该怎么改
  wirelog replay ID        重放一次抓到的调用（可编辑，或套用修复）
  wirelog codex-config ID  用一次成功的调用生成 Codex 的 provider 配置
  wirelog usage            按会话、模型、主机或日期统计 token、缓存和费用
  wirelog mcp              MCP 服务器：让 Agent 查询自己发出的调用

wirelog 命令 --help 查看参数；--lang en|zh-CN（或 WIRELOG_LANG）切换语言。`,
    unknownCommand: '没有 "{{name}}" 这个命令（可用命令：{{commands}}；见 wirelog --help）',
  },
  commands: cliCommandsZhCN,
  topbar: {
    retention: '最多保留 {{mb}} MB，超出时先删最早的',
    retentionDays: '最多保留 {{mb}} MB、{{days}} 天，超出时先删最早的',
    exportHar: '导出 HAR',
    importHar: '导入 HAR',
    importHint: 'Chrome 开发者工具、Playwright、mitmproxy 或 wirelog 导出的 HAR；也可以直接拖到页面上',
    clearAll: '全部清空',
  },
  // 格式化工具在数字旁边写的词（viewer/app/format.ts）。模型的 token 用“tokens”，
  // 不叫“令牌”：在中转站里“令牌”指的是 API Key。
  format: {
    usage: {
      input: '输入 tokens',
      cacheRead: '缓存命中',
      cacheCreation: '缓存写入',
      output: '输出 tokens',
      reasoning: '推理 tokens',
      total: '总 tokens',
      cost: '费用',
    },
    state: {
      pending: '等待响应',
      streaming: '流式传输中',
      complete: '已完成',
      aborted: '客户端中断',
      upstream_error: '上游出错',
      proxy_error: '代理拒绝',
      interrupted: 'wirelog 中途退出',
    },
  },
  filter: {
    oneThread: '只看这个会话 ✕',
    search: '搜索 URL 和请求/响应内容  ( / )',
    searchLabel: '全文搜索',
    host: '主机',
    hostLabel: '主机',
    model: '模型',
    modelLabel: '模型',
    dialectLabel: 'API 类型',
    anyDialect: '全部 API',
    methodLabel: '请求方法',
    anyMethod: '全部方法',
    statusLabel: '状态码',
    anyStatus: '全部状态码',
    stateLabel: '状态',
    anyState: '全部状态',
  },
  empty: {
    title: '还没有抓到任何请求',
    lead: '让程序的请求经过 wirelog，发出的请求会实时出现在这里。',
    runTitle: '用 wirelog 启动程序',
    envTitle: '或者在终端里设好环境变量，再从这个终端启动任何程序',
    gatewayTitle: '或者只改应用的 base URL：把上游地址接在 wirelog 的地址后面',
    gatewayHint:
      'Codex（CLI 和 VS Code 插件都读 <file/>）：<baseUrl/>。Cherry Studio：API 地址填 <address/>（它会自动补上 <appended/>）。不用设代理，也不用装 CA 证书；任何 base URL 都能用 <command/> 算出对应的地址。',
    proxyTitle: '或者把应用的代理设置指向这里',
    trustCa: '并信任 wirelog 的 CA 证书：',
    fingerprint: 'SHA-256 指纹',
    retention: '抓包记录最多保留 {{mb}} MB（--max-db-mb、--max-age-days），超出时先删最早的。',
    retentionDays: '抓包记录最多保留 {{mb}} MB、{{days}} 天（--max-db-mb、--max-age-days），超出时先删最早的。',
  },
  list: {
    time: '时间',
    method: '方法',
    host: '主机',
    path: '路径',
    status: '状态码',
    state: '状态',
    model: '模型',
    tokens: 'Token 数',
    tokensTitle: '输入/输出 tokens，以服务商返回的为准（按输出排序）',
    ttft: '首字延迟',
    ttftTitle: '首字延迟：从发出请求到收到第一个 token',
    duration: '耗时',
    durationTitle: '总耗时',
    size: '大小',
    sortHint: '{{title}}：点击排序，从大到小',
    events_one: '{{count}} 个事件',
    events_other: '{{count}} 个事件',
    messages_one: '{{count}} 条消息',
    messages_other: '{{count}} 条消息',
    damaged: '记录已损坏：{{notes}}',
    cut: '存储时截断：{{notes}}',
    usageTitle: '{{usage}}（以服务商返回的为准）',
    loading: '加载中…',
  },
  modelCall: {
    unnamedTool: '（未命名工具）',
    choices: '多个候选回答',
    choice: '候选 {{index}}',
    noModel: '（请求里没写模型）',
    answeredBy: '→ 实际回答的模型：<model/>',
    rawEvents: '原始事件',
    thread_one: '同一会话：{{count}} 次调用',
    thread_other: '同一会话：{{count}} 次调用',
    timeToFirstToken: '首字延迟',
    duration: '耗时',
    tokensPerSecond: '输出速度 tokens/s（计算得出）',
    usageAsSent: '服务商返回的原始用量（usage）',
    toolsOffered: '提供的工具：',
    modelsListed: '模型列表：',
    answer: '回答',
    reasoning_one: '思考过程（{{count}} 字）',
    reasoning_other: '思考过程（{{count}} 字）',
    refusal: '模型拒绝回答：',
    ending: {
      complete: '已完成',
      open: '流式输出中…',
      truncated: '被截断',
      error: '出错',
    },
    role: {
      system: '系统',
      user: '用户',
      assistant: '助手',
      tool: '工具',
    },
  },
  stream: {
    events_one: '{{count}} 个事件',
    events_other: '{{count}} 个事件',
    messages_one: '{{count}} 条消息',
    messages_other: '{{count}} 条消息',
    chart_one: '{{ms}} ms 内共 {{count}} 个事件',
    chart_other: '{{ms}} ms 内共 {{count}} 个事件',
    timing: '首个事件 +{{first}} ms · 最后一个 +{{last}} ms',
    longestGap: ' · 最长间隔 {{gap}} ms（阴影部分）',
    open: ' · 连接未关闭，新事件一到就显示',
    failed: '读取事件失败：{{error}}',
    expand: '点击展开',
    sent: '↑ 发送',
    received: '↓ 接收',
    opcode: {
      text: '文本帧',
      binary: '二进制帧',
      close: '关闭帧',
      ping: 'ping 帧',
      pong: 'pong 帧',
      other: '操作码 {{code}}',
    },
  },
  waterfall: {
    label: '耗时分布',
    connect: '建立连接',
    tls: 'TLS 握手',
    send: '发送请求',
    wait: '等待响应',
    firstByte: '首字节',
    transfer: '传输',
    retried: '在 {{time}} 换了一条新连接重发：请求发出时，上游正好关掉了原来那条长连接（keep-alive）。',
  },
  headers: {
    none: '没有任何 Header。',
  },
  body: {
    notDecoded: '{{encoding}}（未解码）',
    decodedFrom: '已从 {{encoding}} 解压，解压后 {{size}}',
    tree: '树形',
    raw: '原文',
    hex: '十六进制',
    base64: 'Base64 编码',
    truncated: '已截断：共 {{size}}，只存了 {{stored}}（调大 --max-body-mb 可以多存）。客户端收到的是完整内容。',
    empty: '（空）',
    moreText: '…（后面还有 {{size}}）',
    moreBytes: '… 后面还有 {{size}}',
    image: '响应体',
  },
  bigBody: bigBodyZhCN,
  json: {
    items_one: '{{count}} 项',
    items_other: '{{count}} 项',
    keys_one: '{{count}} 个字段',
    keys_other: '{{count}} 个字段',
    showMore: '再显示 {{count}} 项',
  },
  snippet: {
    copyAsLabel: '复制为',
    copyAs: '复制为 {{target}}',
    copied: '已复制',
    maskedHint: '打码的密钥会换成环境变量（OPENAI_API_KEY…），运行前自己设置',
  },
  replay: {
    notJson: '请求体不是合法的 JSON：',
    downgrade: '通过 HTTPS 抓到的密钥（{{captured}}）绝不会经明文 HTTP 发出：这次请求发往 {{target}} 时不带它们。',
    consent: '把为 {{captured}} 抓到的密钥也发给 <target/>（不勾选的话，这次请求不带密钥）',
    method: '请求方法',
    url: 'URL',
    headerName: '第 {{n}} 个 Header 的名称',
    headerValue: '第 {{n}} 个 Header 的值',
    pasteValue: '粘贴真实值：wirelog 已经没有它了',
    notInMemory: '内存里已经没有（wirelog 之后重启过）：请粘贴真实值',
    removeHeader: '删除 Header {{name}}',
    addHeader: '添加 Header',
    body: '请求体',
    sentWithout: '已作为 <link/> 发出，但没带上：',
    sending: '发送中…',
    send: '发送',
    cancel: '取消',
  },
  tryFix: {
    valueFor: '{{name}} 的值',
    theKey: '令牌（API Key）',
    trying: '正在重试…',
    try: '按这个修复重试',
    sentWithout: '发出时没带上：',
    sendKeys: '把密钥发给 {{target}} 再试一次',
    waiting: '已作为 #{{id}} 发出，等待响应…',
    worked: '修复有效：',
    failing: '还是失败：',
    codexIntro: 'Codex 配置（<file/>），照抄刚才成功的这次：',
    cherry: 'Cherry Studio：提供商类型选 {{type}}，API 地址填 <address/>',
  },
  harImport: {
    starting: '正在导入 {{name}}…',
    upload: '正在导入 {{name}}：已上传 {{sent}}…',
    check_one: '正在导入 {{name}}：已检查 {{entries}} 条记录（{{read}} / {{total}}）…',
    check_other: '正在导入 {{name}}：已检查 {{entries}} 条记录（{{read}} / {{total}}）…',
    store_one: '正在导入 {{name}}：已存入 {{stored}} / {{entries}} 条…',
    store_other: '正在导入 {{name}}：已存入 {{stored}} / {{entries}} 条…',
    done: '已从 {{name}} 导入 {{count}} 条请求',
    notes: '。注意：{{notes}}',
    failed: '导入 {{name}} 失败：{{error}}',
  },
  app: {
    confirmClear: '删除所有抓到的请求？删除后无法恢复。',
    exchanges: '请求列表',
    detail: '请求详情',
  },
  detail: {
    tab: {
      overview: '概览',
      call: '模型调用',
      request: '请求',
      response: '响应',
      stream_one: '流式（{{count}} 个事件）',
      stream_other: '流式（{{count}} 个事件）',
      websocket_one: 'WebSocket（{{count}} 条消息）',
      websocket_other: 'WebSocket（{{count}} 条消息）',
      compareWorking: '对比（上次成功）',
      compareWith: '与 #{{id}} 对比',
    },
    requestBody: '请求体',
    responseBody: '响应体',
    noResponse: '没有响应。',
    noResponseError: '没有响应：<error/>。',
    trailers: 'Trailer 字段',
    trailersLabel: '响应 Trailer',
    close: '关闭详情',
    error: '请求 {{id}}：{{error}}',
    loading: '加载中…',
  },
  overview: {
    fix: '修复方法：',
    separator: '：',
    damaged:
      '<strong>已损坏</strong>：它在数据库里的记录和 wirelog 写入的不一致（被其他程序改过或磁盘出错）；只显示能读出的部分，不做诊断、对比、重放或导出：',
    damagedNote: '已损坏：<note/>',
    storedCut: '<strong>存储时截断</strong>：超出 wirelog 单个字段的存储上限（实际发送的内容没有改动）：',
    downloadHar: '下载 HAR',
    resend: '重发',
    resendTitle: '原样再发一次',
    needs: '需要重新填写 {{names}}：wirelog 已经没有它了',
    editResend: '编辑后重发',
    facts: {
      status: '状态',
      started: '开始时间',
      duration: '耗时',
      request: '请求',
      response: '响应',
      client: '客户端',
    },
    noResponse: '没有响应',
    stillOpen: '仍未结束',
    storedTruncated: ' · 已存 {{size}}（已截断）',
    gateway: ' · 经网关',
    gatewayTitle: '发往 wirelog 的网关地址（/https/HOST/…），不是通过代理设置',
    imported: ' · 从 <file/> 导入',
    copyUrl: '复制 URL',
    copied: '已复制',
    compareWorking: '与这个主机上次成功的调用对比',
    compareWithLabel: '与哪条请求对比',
    idPlaceholder: '#编号',
    compare: '对比',
    replayOf: 'wirelog 发出的：<link/> 的重放',
    replayedAs: '已重放为',
  },
  compare: {
    comparing: '对比中…',
    head: '<a/> 与 <b/> 对比',
    request: '请求',
    status: '状态码',
    noStatus: '无',
    requestHeaders: '请求头',
    requestBody: '请求体',
    responseHeaders: '响应头',
    responseBody: '响应体',
    same: '{{title}}：相同。',
    none: '{{title}}：两边都没有。',
    textDifferent: '{{title}}：不同（{{a}} 和 {{b}} 个字符）。',
    bytesSame: '{{title}}：字节完全相同（{{a}} 和 {{b}} 字节）。',
    bytesDifferent: '{{title}}：不同（{{a}} 和 {{b}} 字节）。',
    sameJson: '{{title}}：JSON 相同。',
    firstOnly: '（只列出前几处不同）',
    verdict: {
      sameKey: '同一个密钥',
      differentKey: '密钥不同',
      noKeyInA: '左边没有密钥',
      noKeyInB: '右边没有密钥',
    },
  },
  usage: usageZhCN,
  server: serverZhCN,
  images: imagesZhCN,
  listView: listViewZhCN,
  agent: agentZhCN,
  sessions: sessionsZhCN,
  sessionExport: sessionExportZhCN,
  mcp: mcpZhCN,
  importFailures: importFailuresZhCN,
  trust: trustZhCN,
  launch: launchZhCN,
  dataFiles: dataFilesZhCN,
  viewerTools: viewerToolsZhCN,
  keyboardAccess: keyboardAccessZhCN,
  viewerStart: viewerStartZhCN,
  harExport: harExportZhCN,
  qa: qaZhCN,
  searchIndex: searchIndexZhCN,
  indexBuild: indexBuildZhCN,
  searchScale: searchScaleZhCN,
  storageThread: storageThreadZhCN,
  storageNews: storageNewsZhCN,
  banners: {
    failing: '抓包存储出错：{{error}}',
    waiting: ' 还有 {{count}} 条请求等待写入。',
    behind: '存储落后 {{exchanges}} 条 / {{seconds}} 秒：新请求会晚一点显示，追上之前不会丢数据。',
    otlp: 'OpenTelemetry 导出出错：{{error}}',
    shed: '为了控制内存，存储（落后或出错时）丢弃了 {{exchanges}} 条完整请求、{{events}} 个 SSE 事件或 WebSocket 消息、{{bytes}} 字节；受影响的请求都在备注里写明了，流量本身已完整转发。',
    discarded: '「全部清空」丢弃了 {{count}} 条还在等待写入的请求：它们不会被保存。',
    bodies:
      '存储跟不上：为了不拖慢流量，{{count}} 个请求/响应体的剩余部分没有保存（显示为已截断）；流量本身已完整转发。',
    damaged: '数据库里有 {{count}} 条请求记录已损坏（{{ids}}）。{{example}}。能读出的部分照常显示，导出时会跳过它们。',
  },
};
