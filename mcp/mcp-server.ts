// The MCP server: wirelog's tools over the official SDK's low-level Server, so that every way a
// call can go wrong (an unknown tool, wrong arguments, a database that cannot be read, a bug) is
// an MCP tool error (isError) with one line naming the cause and the fix, and the server goes on.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
// The SDK's own converter (what its McpServer advertises tools with), for the zod version installed.
import { toJsonSchemaCompat } from '@modelcontextprotocol/sdk/server/zod-json-schema-compat.js';
import { closestName } from '../cli/closest-name.ts';
import { t } from '../cli/language.ts';
import { VERSION } from '../cli/version.ts';
import { compareWithWorking } from './compare-tool.ts';
import { diagnose } from './diagnose-tool.ts';
import { listCalls } from './list-calls.ts';
import { readCall } from './read-call.ts';
import { replayCall } from './replay-tool.ts';
import { sessionUsage } from './session-usage.ts';
import { ToolError, type Tool, type ToolContext } from './tool.ts';

const READ_TOOLS: Tool[] = [listCalls, readCall, diagnose, compareWithWorking, sessionUsage];

/** The tools this server offers: replay_call only when started with --allow-replay. */
export function toolsOffered(allowReplay: boolean): Tool[] {
  return allowReplay ? [...READ_TOOLS, replayCall] : READ_TOOLS;
}

const TYPES = ['string', 'number', 'integer', 'float', 'boolean', 'object', 'array', 'null'];
const typeName = (type: string) => (TYPES.includes(type) ? t(`mcp.issues.types.${type}`) : type);

/** What zod found wrong with one argument, in the user's language (zod's own words are English only). */
function issueText(issue: z.ZodIssue, known: string[]): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.received === 'undefined'
        ? t('mcp.issues.required')
        : t('mcp.issues.type', { expected: typeName(issue.expected), received: typeName(issue.received) });
    case 'unrecognized_keys': {
      const keys = issue.keys.map((key) => `'${key}'`).join(', ');
      const suggestion = issue.keys.length === 1 ? closestName(issue.keys[0], known) : null;
      return suggestion
        ? t('mcp.issues.unknownKeySuggest', { keys, suggestion })
        : t('mcp.issues.unknownKeys', { keys });
    }
    case 'too_small':
      if (issue.exact) return issue.message;
      if (issue.type === 'number')
        return t(issue.inclusive ? 'mcp.issues.atLeast' : 'mcp.issues.above', { n: String(issue.minimum) });
      if (issue.type === 'string' && issue.inclusive) return t('mcp.issues.textAtLeast', { n: String(issue.minimum) });
      return issue.message;
    case 'too_big':
      if (issue.exact) return issue.message;
      if (issue.type === 'number')
        return t(issue.inclusive ? 'mcp.issues.atMost' : 'mcp.issues.below', { n: String(issue.maximum) });
      return issue.message;
    case 'invalid_string':
      return issue.validation === 'url' ? t('mcp.issues.url') : issue.message;
    default:
      return issue.message;
  }
}

/** zod's issues as one line: each argument named with what it got wrong ("limit: Number must be less than or equal to 200"). */
export function argumentProblems(error: z.ZodError, known: string[] = []): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'arguments'}: ${issueText(issue, known)}`).join('; ');
}

const failure = (message: string): CallToolResult => ({ isError: true, content: [{ type: 'text', text: message }] });

/** One tool call answered: its result as JSON text, or a tool error. Never throws. */
export async function callTool(name: string, args: unknown, context: ToolContext): Promise<CallToolResult> {
  const tools = toolsOffered(context.allowReplay);
  const found = tools.find((tool) => tool.name === name) ?? (name === replayCall.name ? replayCall : undefined);
  if (!found)
    return failure(t('mcp.errors.unknownTool', { tool: name, tools: tools.map((tool) => tool.name).join(', ') }));
  const parsed = found.input.strict().safeParse(args ?? {});
  if (!parsed.success)
    return failure(
      t('mcp.errors.arguments', {
        tool: name,
        problems: argumentProblems(parsed.error, Object.keys(found.input.shape)),
      }),
    );
  try {
    const result = await found.run(parsed.data, context);
    return { content: [{ type: 'text', text: JSON.stringify(result, null, 1) }] };
  } catch (err) {
    const said = context.database.readError(err);
    return failure(
      said instanceof ToolError ? said.message : t('mcp.errors.failed', { tool: name, error: said.message }),
    );
  }
}

export function createServer(context: ToolContext): Server {
  const server = new Server({ name: 'wirelog', version: VERSION }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: toolsOffered(context.allowReplay).map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: toJsonSchemaCompat(tool.input.strict()) as { type: 'object' },
      annotations: { readOnlyHint: tool.name !== replayCall.name, openWorldHint: tool.name === replayCall.name },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, (request) =>
    callTool(request.params.name, request.params.arguments, context),
  );
  return server;
}
