// `wirelog mcp` (issue 29): wirelog as an MCP server for agents. The errors an agent's user reads
// when a tool cannot answer, and the notes around --print-config's snippets. Tool names
// (list_calls, read_call...), flags and field names stay as they are in every language; the
// tools' own descriptions are for models and stay English in mcp/tools.ts.

export const mcpEn = {
  help: `wirelog mcp [--data-dir DIR] [--allow-replay] [--print-config codex|claude|cherry-studio]
Runs wirelog as an MCP server on standard input and output, for an agent (Codex, Claude Code,
Cherry Studio) to ask about its own calls: list_calls, read_call, diagnose, compare_with_working,
session_usage. It reads the database read-only, also while a capture runs.
  --allow-replay        also offer replay_call, which resends a call through the running wirelog;
                        a remembered key is never sent to another origin than the one it was captured for
  --print-config NAME   print the snippet that adds this server to codex (config.toml), claude (claude mcp add)
                        or cherry-studio (its MCP settings JSON), then exit`,
  errors: {
    arguments: "wrong arguments to {{tool}}: {{problems}} (the tool's input schema lists what it takes)",
    unknownTool: 'there is no tool "{{tool}}" (tools: {{tools}})',
    noDatabase:
      'no captures in {{dataDir}} yet (no wirelog.sqlite there): capture some calls first (`wirelog start`, or `wirelog run -- CMD`), or start this server with --data-dir pointing at the directory that holds them',
    cannotOpen:
      'cannot read the database {{file}}: {{error}}; check that it is readable by you, or start this server with another --data-dir',
    locked:
      'the database {{file}} is locked by another program and could not be read within {{seconds}} s ({{error}}): ask again once it lets go (a backup tool or a second writer that holds it exclusively)',
    schemaOld:
      'the database {{file}} has schema version {{version}}, older than this wirelog reads ({{expected}}): start wirelog once on it (`wirelog start --data-dir DIR`) to upgrade it, then ask again',
    schemaNew:
      'the database {{file}} has schema version {{version}}, newer than this wirelog reads ({{expected}}): upgrade the wirelog this MCP server runs',
    noExchange: 'no call #{{id}} is stored (list_calls gives the ids there are)',
    damagedDiagnosed:
      'call #{{id}} is damaged in the database ({{reasons}}): it cannot be diagnosed; read_call shows what could be read',
    damagedCompared:
      'call #{{id}} is damaged in the database ({{reasons}}): it cannot be compared; read_call shows what could be read',
    since: 'since takes an ISO date or time such as 2026-11-24 or 2026-11-24T10:00:00Z, not "{{value}}"',
    status: 'status takes a code such as 404 or a class such as 4xx, not "{{value}}"',
    noWorking:
      'no model call to {{host}} has worked yet, so there is nothing to compare #{{id}} with: make one call that works (from any client), then compare again',
    compareFailed: 'comparing #{{id}} failed: {{error}}',
    noSession: 'no stored model call belongs to session "{{session}}" (list_calls shows each call\'s session)',
    noSessionOfCall:
      'call #{{id}} is not part of a session (it is no model call, or its session is not known yet): pass a session instead',
    noSessions: 'no model call is stored yet, so there is no session to sum',
    replayOff:
      "replay is off: this MCP server was started read-only; add --allow-replay to the `wirelog mcp` command in your client's MCP settings to allow it",
    notRunning:
      'no wirelog is running on {{dataDir}}: replay goes through a running wirelog (it holds the keys in memory); start one with `wirelog start --data-dir {{dataDir}}`',
    noViewer:
      'the wirelog running on {{dataDir}} has no API (started without a viewer): restart it with its viewer to replay',
    replayFailed: 'wirelog did not replay #{{id}}: {{error}}',
    replayTimeout: 'the replay #{{id}} was still {{state}} after {{seconds}} s: read it later with read_call',
    failed: '{{tool}} failed: {{error}}',
    printConfig: '--print-config takes codex, claude or cherry-studio, not "{{value}}"',
  },
  // What a tool's argument got wrong (zod's checks, said in the user's language; these English ones are zod's own words).
  issues: {
    required: 'Required',
    type: 'Expected {{expected}}, received {{received}}',
    unknownKeys: 'Unrecognized key(s) in object: {{keys}}',
    unknownKeySuggest: "Unrecognized key(s) in object: {{keys}} (did you mean '{{suggestion}}'?)",
    atLeast: 'Number must be greater than or equal to {{n}}',
    above: 'Number must be greater than {{n}}',
    atMost: 'Number must be less than or equal to {{n}}',
    below: 'Number must be less than {{n}}',
    textAtLeast: 'String must contain at least {{n}} character(s)',
    url: 'Invalid url',
    types: {
      string: 'string',
      number: 'number',
      integer: 'integer',
      float: 'float',
      boolean: 'boolean',
      object: 'object',
      array: 'array',
      null: 'null',
    },
  },
  printConfig: {
    codex: '# Add to ~/.codex/config.toml (or $CODEX_HOME/config.toml): Codex starts the server itself',
    claude: '# Run once: Claude Code then starts the server itself',
    cherryStudio: 'In Cherry Studio: Settings → MCP → Add → Import from JSON, and paste:',
  },
};

export type McpMessages = typeof mcpEn;
