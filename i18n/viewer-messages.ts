// The part of the message catalogue the viewer ships. The catalogue is one object for every
// screen wirelog has; the CLI's help, the MCP server's texts, the trust and launch steps and the
// stored-error sentences (which the server renders in the reader's language before answering)
// are about 50 KB the browser would parse and hand to i18next before the first row, unused.
// vite.config.ts builds the viewer's catalogue chunks through viewerMessages(), and
// test/viewer-messages-keys.test.ts proves no module of the viewer names a key left out here.
import type { Messages } from './messages/en.ts';

/** Top-level namespaces the viewer never shows. */
const CLI_ONLY = ['cli', 'commands', 'launch', 'dataFiles', 'mcp', 'trust'] as const;
/** The `server` groups the viewer does not render itself: only its own refusals (`server.api`) are. */
const SERVER_KEPT = ['api'] as const;

export type ViewerMessages = Omit<Messages, (typeof CLI_ONLY)[number] | 'server'> & {
  server: Pick<Messages['server'], (typeof SERVER_KEPT)[number]>;
};

/** The catalogue without what only the CLI and the server say. */
export function viewerMessages(messages: Messages): ViewerMessages {
  const kept: Record<string, unknown> = { ...messages };
  for (const name of CLI_ONLY) delete kept[name];
  kept.server = Object.fromEntries(SERVER_KEPT.map((group) => [group, messages.server[group]]));
  return kept as ViewerMessages;
}

/** The key paths viewerMessages() leaves out of this catalogue: whole namespaces and `server`'s other groups. */
export function leftOut(messages: Messages): string[] {
  const serverGroups = Object.keys(messages.server).filter(
    (group) => !(SERVER_KEPT as readonly string[]).includes(group),
  );
  return [...CLI_ONLY, ...serverGroups.map((group) => `server.${group}`)];
}
