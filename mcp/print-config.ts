// `wirelog mcp --print-config codex|claude|cherry-studio`: the snippet that makes each client start
// this server, every value quoted for the language it is pasted into (TOML basic strings, POSIX
// shell words, JSON), so a path with a quote, a space or a `$` runs only what it shows.
import { tomlString } from '../llm/codex-provider-block.ts';
import { t } from '../cli/language.ts';

export const CLIENTS = ['codex', 'claude', 'cherry-studio'] as const;
export type McpClient = (typeof CLIENTS)[number];

/** The command a client runs: a program and its arguments. */
export interface ServerCommand {
  command: string;
  args: string[];
}

/** A POSIX shell word: bare when it holds only safe characters, else in single quotes ('\'' for a quote). */
export function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Codex's config.toml table (`[mcp_servers.wirelog]`, command and args), then, commented out
 * with why, the feature line a relay's model needs: Codex 0.171 defers MCP tools behind its
 * tool_search tool, which it offers only to models it has metadata for.
 */
function codex(server: ServerCommand): string {
  const table = [
    '[mcp_servers.wirelog]',
    `command = ${tomlString(server.command)}`,
    `args = [${server.args.map(tomlString).join(', ')}]`,
  ];
  return [
    ...table,
    '',
    `# ${t('trust.codexDeferredTools')}`,
    '# [features]',
    '# tool_search_always_defer_mcp_tools = false',
  ].join('\n');
}

/** Claude Code's `claude mcp add NAME -- COMMAND ARGS...`. */
function claude(server: ServerCommand): string {
  return ['claude', 'mcp', 'add', 'wirelog', '--', server.command, ...server.args].map(shellWord).join(' ');
}

/** Cherry Studio's MCP settings JSON (its "import from JSON" takes an mcpServers object). */
function cherryStudio(server: ServerCommand): string {
  return JSON.stringify(
    { mcpServers: { wirelog: { name: 'wirelog', type: 'stdio', command: server.command, args: server.args } } },
    null,
    2,
  );
}

/** The snippet alone (what is pasted), without the note that says where. */
export function clientSnippet(client: McpClient, server: ServerCommand): string {
  return client === 'codex' ? codex(server) : client === 'claude' ? claude(server) : cherryStudio(server);
}
