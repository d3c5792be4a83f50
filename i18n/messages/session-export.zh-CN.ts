// 分享会话（issue 27）：把一个会话导出成单个 HTML 页面或 Markdown 记录时的标题和标签、
// `wirelog export --html/--markdown` 的提示，以及查看器里的下载按钮（英文版见 session-export.en.ts）。
import type { sessionExportEn } from './session-export.en.ts';
import type { Shape } from './shape.ts';

export const sessionExportZhCN: Shape<typeof sessionExportEn> = {
  title: 'wirelog 会话 {{key}}',
  exported:
    '由 wirelog {{version}} 于 {{at}} 导出。密钥按存储时的样子打码。超过 {{limit}} 个字符的请求体/响应体会被截断，并注明。',
  exportedMarkdown:
    '由 wirelog {{version}} 于 {{at}} 导出。密钥按存储时的样子打码；每一轮都注明了对应的请求编号，完整内容见 HTML 导出和 HAR 文件。',
  offline: '这个页面不从任何地方加载东西：没有脚本、字体或图片。',
  header: {
    key: '会话',
    client: '客户端',
    unknownClient: '未知客户端',
    hosts: '主机',
    models: '模型',
    started: '开始于',
    callsLabel: '调用',
    duration: '时长',
    calls_one: '{{count}} 次调用',
    calls_other: '{{count}} 次调用',
    failed_one: '{{count}} 次失败',
    failed_other: '{{count}} 次失败',
    tokens: 'token 用量',
    cost: '费用',
    cut: '这个会话只导出了前 {{count}} 次调用。',
  },
  figures: {
    input: '输入 {{value}}',
    output: '输出 {{value}}',
    cacheRead: '缓存读取 {{value}}',
    cacheWrite: '缓存写入 {{value}}',
    reasoning: '推理 {{value}}',
    notReported: '未上报',
    ttft: '首 token {{value}}',
    duration: '耗时 {{value}}',
    unfinished: '未结束',
  },
  cost: {
    provider: '{{usd}}（服务商上报）',
    estimated: '{{usd}}（按 {{table}} {{date}} 的价格估算）',
    unknown: '价格未知',
    partial: '部分调用价格未知（其余合计 {{usd}}）',
    none: '没有费用：未上报用量',
  },
  turn: {
    label: '第 {{n}} 轮',
    exchange: '请求 #{{id}}',
    said: '最后的输入',
    moreInputs_one: '还有 {{count}} 条更早的输入没列出（原始请求里有）',
    moreInputs_other: '还有 {{count}} 条更早的输入没列出（原始请求里有）',
    answer: '回答',
    noAnswer: '没有回答',
    reasoning: '推理内容 {{count}} 个字符',
    images_one: '{{count}} 张图片',
    images_other: '{{count}} 张图片',
    finish: '结束原因：{{reason}}',
    toolCall: '工具调用 {{name}}',
    arguments: '参数',
    result: '结果（第 {{n}} 轮发回）',
    noResult: '下一轮没有发回结果',
    clientTook: '客户端隔了 {{value}} 才发下一轮',
    diagnosis: '诊断',
    fix: '解决办法：{{fix}}',
    unread: '无法按模型调用解析（请求体损坏或被截断）：请看原始请求',
    clipped: '每一轮里的文本最多显示 {{limit}} 个字符；原始请求里是完整的（受它自己的上限约束）。',
  },
  raw: {
    title: '原始请求 #{{id}}',
    request: '请求',
    response: '响应',
    noResponse: '没有响应：{{state}}',
    error: '错误：{{error}}',
    notes: '存储时截断：{{notes}}',
    headers: '请求头/响应头',
    body: '正文',
    noBody: '没有正文',
    trimmed:
      '此处已截断：只显示前 {{shown}} 个字符，共 {{total}} 个。完整内容请用 wirelog export --har 或在查看器里看。',
    binary: '{{size}} 字节的二进制正文（{{mime}}）：这里不显示；wirelog export --har 里有它的 base64。',
    notStored: '抓取时只存了 {{size}} 字节中的 {{stored}} 字节。',
    decodeError: '无法解码：{{error}}',
    webSocket: 'WebSocket 消息（{{count}} 条）：→ 发出，← 收到',
  },
  role: {
    user: '用户',
    tool: '工具结果',
    system: '系统',
    assistant: '助手',
  },
  cli: {
    help: `wirelog export --html FILE [--session ID] [--data-dir DIR]：把一个 Agent 会话导出成单个 HTML 页面，离线也能打开
wirelog export --markdown FILE [--session ID] [--data-dir DIR]：把同一个会话导出成 Markdown 记录，方便贴进 issue
  （不加 --session 就导出最近的会话；"-" 表示标准输出；--har FILE --session ID：只导出这个会话的调用）`,
    needsTarget: 'wirelog export 需要 --har FILE、--html FILE、--markdown FILE（写到标准输出用 "-"），或者 --otlp',
    sessionAlone: '--session ID 指定要导出哪个会话：还要加上 --html FILE、--markdown FILE 或 --har FILE',
    noSession:
      '没有存着会话 "{{key}}"（可能已被清空或按保留策略删掉了）：不加 --session 的 wirelog export --html FILE 会导出最近的会话，查看器的会话页面里能看到全部会话',
    noSessions:
      '还没有存下任何 Agent 会话：先抓一些调用（wirelog run -- codex exec "..."），或者用 --har FILE 把全部请求导出',
    wrote: '已把会话 "{{key}}"（{{count}} 轮）写到 {{file}}',
  },
  viewer: {
    download: '导出',
    html: 'HTML 页面',
    htmlHint: '把这个会话导出成单个 HTML 页面，任何浏览器离线都能打开（密钥按存储时的样子打码）',
    markdown: 'Markdown 记录',
    markdownHint: '把这个会话导出成 Markdown 记录，方便贴进 issue',
  },
};
