// `wirelog mcp`（issue 29）：把 wirelog 作为 MCP 服务器给 Agent 用。工具回答不了时用户看到的报错，以及
// --print-config 配置片段前后的说明（英文版见 mcp.en.ts）。工具名、参数、字段名原样保留。
import type { McpMessages } from './mcp.en.ts';
import type { Shape } from './shape.ts';

export const mcpZhCN: Shape<McpMessages> = {
  help: `wirelog mcp [--data-dir DIR] [--allow-replay] [--print-config codex|claude|cherry-studio]
以 MCP 服务器的方式运行 wirelog（走标准输入输出），让 Agent（Codex、Claude Code、Cherry Studio）查询自己发出的调用：
list_calls、read_call、diagnose、compare_with_working、session_usage。数据库以只读方式打开，抓包进行中也能读。
  --allow-replay        另外提供 replay_call，通过正在运行的 wirelog 重发一次调用；
                        记住的密钥只会发回抓到它时的那个源站，绝不会发往别处
  --print-config NAME   打印把这个服务器加到 codex（config.toml）、claude（claude mcp add）
                        或 cherry-studio（MCP 设置 JSON）里的配置片段，然后退出`,
  errors: {
    arguments: '{{tool}} 的参数不对：{{problems}}（可用参数见该工具的 input schema）',
    unknownTool: '没有名为 "{{tool}}" 的工具（可用的有：{{tools}}）',
    noDatabase:
      '{{dataDir}} 里还没有抓到任何调用（没有 wirelog.sqlite）：先抓一些调用（`wirelog start` 或 `wirelog run -- 命令`），或者用 --data-dir 指向保存抓包的目录再启动这个服务器',
    cannotOpen: '读不了数据库 {{file}}：{{error}}；请确认你有读权限，或者换一个 --data-dir 启动这个服务器',
    locked:
      '数据库 {{file}} 被别的程序锁住了，{{seconds}} 秒内没能读到（{{error}}）：等它释放后再问一次（通常是备份工具或另一个独占写入的程序）',
    schemaOld:
      '数据库 {{file}} 的结构版本是 {{version}}，比这个 wirelog 能读的（{{expected}}）旧：先在它上面启动一次 wirelog（`wirelog start --data-dir 目录`）完成升级，再来问',
    schemaNew:
      '数据库 {{file}} 的结构版本是 {{version}}，比这个 wirelog 能读的（{{expected}}）新：请升级 MCP 服务器所用的 wirelog',
    noExchange: '没有编号为 #{{id}} 的调用（list_calls 会列出现有的编号）',
    damagedDiagnosed: '调用 #{{id}} 在数据库里已损坏（{{reasons}}），无法诊断；read_call 会显示能读出的部分',
    damagedCompared: '调用 #{{id}} 在数据库里已损坏（{{reasons}}），无法对比；read_call 会显示能读出的部分',
    since: 'since 要写成 ISO 日期或时间，如 2026-11-24 或 2026-11-24T10:00:00Z，而不是 "{{value}}"',
    status: 'status 要写状态码（如 404）或一类状态（如 4xx），而不是 "{{value}}"',
    noWorking: '发往 {{host}} 的模型调用还没有成功过，没有可以和 #{{id}} 对比的：先让任意客户端成功调用一次，再来对比',
    compareFailed: '对比 #{{id}} 失败：{{error}}',
    noSession: '没有属于会话 "{{session}}" 的模型调用（list_calls 会显示每次调用所属的会话）',
    noSessionOfCall: '调用 #{{id}} 不属于任何会话（不是模型调用，或者还没归入会话）：请直接传 session',
    noSessions: '还没有抓到任何模型调用，没有会话可以统计',
    replayOff:
      '重放已关闭：这个 MCP 服务器是只读启动的；要允许重放，在客户端的 MCP 设置里给 `wirelog mcp` 命令加上 --allow-replay',
    notRunning:
      '{{dataDir}} 上没有正在运行的 wirelog：重放要经过正在运行的 wirelog（密钥只在它的内存里）；用 `wirelog start --data-dir {{dataDir}}` 启动一个',
    noViewer: '{{dataDir}} 上运行的 wirelog 没有开 API（启动时关掉了查看器）：带上查看器重启它才能重放',
    replayFailed: 'wirelog 没有重放 #{{id}}：{{error}}',
    replayTimeout: '重放 #{{id}} 过了 {{seconds}} 秒还在{{state}}：稍后用 read_call 查看',
    failed: '{{tool}} 出错了：{{error}}',
    printConfig: '--print-config 只能是 codex、claude 或 cherry-studio，不能是 "{{value}}"',
  },
  issues: {
    required: '缺少这个参数',
    type: '应为{{expected}}，收到的是{{received}}',
    unknownKeys: '没有这个参数：{{keys}}',
    unknownKeySuggest: "没有这个参数：{{keys}}（是不是 '{{suggestion}}'？）",
    atLeast: '不能小于 {{n}}',
    above: '必须大于 {{n}}',
    atMost: '不能大于 {{n}}',
    below: '必须小于 {{n}}',
    textAtLeast: '至少要 {{n}} 个字符',
    url: '不是有效的 URL',
    types: {
      string: '字符串',
      number: '数字',
      integer: '整数',
      float: '小数',
      boolean: '布尔值（true/false）',
      object: '对象',
      array: '数组',
      null: '空值（null）',
    },
  },
  printConfig: {
    codex: '# 加到 ~/.codex/config.toml（或 $CODEX_HOME/config.toml）里：Codex 会自己启动这个服务器',
    claude: '# 运行一次即可：之后 Claude Code 会自己启动这个服务器',
    cherryStudio: '在 Cherry Studio 里：设置 → MCP → 添加 → 从 JSON 导入，粘贴：',
  },
};
