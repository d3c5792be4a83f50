// An agent loop inside one answer (viewer/app/components/AgentSteps.tsx): the tools the provider
// ran itself, the approval it waits for, the sources it cited, thinking it kept encrypted.

export const agentEn = {
  steps_one: '{{count}} step the provider ran',
  steps_other: '{{count}} steps the provider ran',
  kind: {
    'mcp-call': 'MCP tool call',
    'mcp-list-tools': 'MCP tools listed',
    'mcp-approval': 'MCP call waiting for approval',
    'web-search': 'Web search',
    'web-fetch': 'Web fetch',
    'file-search': 'File search',
    code: 'Code run',
    'server-tool': 'Provider tool',
  },
  server: 'server',
  input: 'Input',
  output: 'Result',
  error: 'Error:',
  noResult: 'No result arrived.',
  notRun: 'Not run: the model asks the user first.',
  waiting_one:
    'The model is waiting for the user: it asks to run {{count}} MCP tool call, and the answer goes on only once the client approves or denies it.',
  waiting_other:
    'The model is waiting for the user: it asks to run {{count}} MCP tool calls, and the answer goes on only once the client approves or denies them.',
  citations_one: '{{count}} source cited',
  citations_other: '{{count}} sources cited',
  supports: 'supports',
  wholeAnswer: 'the answer as a whole',
  redacted_one:
    '{{count}} thinking block the provider sent encrypted (redacted): it is passed back to the model, not readable here.',
  redacted_other:
    '{{count}} thinking blocks the provider sent encrypted (redacted): they are passed back to the model, not readable here.',
  stopDetails: 'Why it stopped, as the provider explained:',
};
