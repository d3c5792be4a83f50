// `wirelog mcp`: wirelog as an MCP server on standard input and output (mcp/mcp-server.ts), for an
// agent to ask about its own calls; `--print-config CLIENT` prints the snippet that makes a client
// start it. Standard output carries the protocol only: nothing else is printed there while it runs.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CLIENTS, clientSnippet, type McpClient, type ServerCommand } from '../mcp/print-config.ts';
import { CaptureDatabase } from '../mcp/database.ts';
import { createServer } from '../mcp/mcp-server.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { wirelogCommand } from './invocation.ts';
import { t } from './language.ts';

export const mcpHelp = () => t('mcp.help');

/**
 * What a client runs to start this server with these flags: `wirelog` when it is on the PATH, else
 * node and this script, by absolute paths. `absolute`: by absolute paths always, for an app started
 * from the Dock or Finder, whose PATH is the system's alone (/usr/bin:/bin:...): neither an npm-linked
 * `wirelog` nor nvm's or Homebrew's `node` is on it.
 */
export function serverCommand(
  dataDir: string,
  allowReplay: boolean,
  env: NodeJS.ProcessEnv = process.env,
  script = process.argv[1],
  absolute = false,
): ServerCommand {
  const args = ['mcp', '--data-dir', dataDir, ...(allowReplay ? ['--allow-replay'] : [])];
  return !absolute && wirelogCommand(env, script).onPath
    ? { command: 'wirelog', args }
    : { command: process.execPath, args: [script, ...args] };
}

const NOTE_KEYS: Record<McpClient, string> = {
  codex: 'mcp.printConfig.codex',
  claude: 'mcp.printConfig.claude',
  'cherry-studio': 'mcp.printConfig.cherryStudio',
};

export async function mcpCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('mcp', args, {
    'data-dir': { type: 'string' },
    'allow-replay': { type: 'boolean' },
    'print-config': { type: 'string' },
  });
  const dataDir = dataDirFrom(values);
  const allowReplay = values['allow-replay'] ?? false;
  const client = values['print-config'];
  if (client !== undefined) {
    if (!(CLIENTS as readonly string[]).includes(client))
      throw new UsageError(t('mcp.errors.printConfig', { value: client }));
    // The note goes to stderr: stdout is the snippet alone, to redirect into a file or pipe into a shell.
    console.error(t(NOTE_KEYS[client as McpClient]));
    // Cherry Studio is a desktop app: it may not see the PATH of the shell that prints this.
    const absolute = client === 'cherry-studio';
    console.log(
      clientSnippet(client as McpClient, serverCommand(dataDir, allowReplay, process.env, process.argv[1], absolute)),
    );
    return 0;
  }
  // Nothing is created or migrated here: the database is opened read-only when a tool first asks.
  const database = new CaptureDatabase(dataDir);
  const server = createServer({ database, allowReplay });
  const closed = new Promise<void>((resolve) => (server.onclose = resolve));
  await server.connect(new StdioServerTransport());
  // The client closing our standard input ends the session.
  process.stdin.once('end', () => void server.close());
  await closed;
  database.close();
  return 0;
}
