// 一次回答里的智能体循环（英文版见 agent.en.ts）：服务商自己调用的工具、等用户批准的调用、引用的来源、加密的思考。
import type { agentEn } from './agent.en.ts';
import type { Shape } from './shape.ts';

export const agentZhCN: Shape<typeof agentEn> = {
  steps_one: '服务商执行了 {{count}} 个步骤',
  steps_other: '服务商执行了 {{count}} 个步骤',
  kind: {
    'mcp-call': 'MCP 工具调用',
    'mcp-list-tools': '列出 MCP 工具',
    'mcp-approval': '等待批准的 MCP 调用',
    'web-search': '联网搜索',
    'web-fetch': '抓取网页',
    'file-search': '文件检索',
    code: '运行代码',
    'server-tool': '服务商内置工具',
  },
  server: '服务器',
  input: '输入',
  output: '结果',
  error: '出错：',
  noResult: '没有收到结果。',
  notRun: '还没执行：模型要先征得用户同意。',
  waiting_one: '模型在等用户：它请求执行 {{count}} 个 MCP 工具调用，客户端批准或拒绝之后回答才会继续。',
  waiting_other: '模型在等用户：它请求执行 {{count}} 个 MCP 工具调用，客户端批准或拒绝之后回答才会继续。',
  citations_one: '引用了 {{count}} 个来源',
  citations_other: '引用了 {{count}} 个来源',
  supports: '支撑的内容',
  wholeAnswer: '整个回答',
  redacted_one: '服务商把 {{count}} 段思考加密发送（redacted）：它会原样传回给模型，这里看不到内容。',
  redacted_other: '服务商把 {{count}} 段思考加密发送（redacted）：它们会原样传回给模型，这里看不到内容。',
  stopDetails: '服务商对停止原因的说明：',
};
