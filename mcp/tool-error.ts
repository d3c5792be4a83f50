// Below mcp/tool.ts and mcp/database.ts, which both need it: kept in tool.ts, it made an import circle.

/** A refusal or a failure the caller can act on: sent as an MCP tool error (isError) with this one line. */
export class ToolError extends Error {}
