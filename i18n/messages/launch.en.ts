// `wirelog run -- <agent>` (issue 29): the capture chosen for each agent the CLI knows by name
// (cli/agents.ts), said in one line; --explain and --mode; the hint for a loopback target.
// Variable names, config keys, flags, URLs and agent names stay as they are in every language.

export const launchEn = {
  help: `  --mode proxy|gateway  how the command is captured; by default wirelog picks it for the agents it knows
                    by name (codex, claude, gemini, qwen, kimi, opencode, aider): the proxy with the CA where the
                    agent honours it, else wirelog's gateway through the agent's own base-URL variable or config
                    override, keeping the upstream it would have called; any other command gets the proxy
  --explain         print what would be set (NAME=value lines, secrets masked; -c / --settings lines for
                    config overrides) and why, then exit without running anything`,
  badMode: '--mode takes proxy or gateway, not "{{value}}"',
  gatewayUnknown:
    'wirelog does not know where {{command}} reads its base URL: run it with --mode proxy (the default), or set its base URL yourself to the gateway form that `wirelog url BASE_URL` prints',
  gatewayImpossible: '{{agent}} cannot go through the gateway here ({{why}}): leave out --mode gateway',
  noUpstream:
    '{{agent}} has no base URL wirelog could read or default to: set it in its config, or run with --mode proxy',
  configUnreadable:
    'cannot read {{file}}, which the agent reads too: {{error}} (fix the file, or run with --mode proxy, which does not read it)',
  baseUrlEndpoint:
    "{{agent}}'s base URL {{value}} ends in {{segment}}, an endpoint: {{agent}} appends its own endpoint to it, and the relay will answer 404; set the base URL to {{fixed}}",
  baseUrlRepeated:
    "{{agent}}'s base URL {{value}} has {{segment}} twice: the relay will answer 404; set it to {{fixed}}",
  explainPrivate:
    'no wirelog is running on {{dataDir}}: `wirelog run` would start a private one on a free port; these lines use {{proxyUrl}}, where `wirelog start` listens',
  loopback:
    '{{url}} is on this machine, and many clients (Go, Chromium, some Python libraries) send loopback calls straight there, past any proxy: if nothing is captured, use the gateway form {{gateway}}',
  loopbackNoGateway:
    "{{url}} is on this machine, and many clients (Go, Chromium, some Python libraries) send loopback calls straight there, past any proxy: if nothing is captured, point the client at wirelog's gateway (`wirelog url {{url}}`)",
  from: {
    env: '{{name}} in the environment',
    file: '{{name}} in {{file}}',
    default: 'its default',
  },
  why: {
    generic:
      '{{command}} is not an agent wirelog knows by name: every proxy and CA variable, which Node, Python, curl, Go and Rust programs follow',
    forced: '{{agent}} through the {{mode}}, as --mode asked',
    gatewayNotLocal:
      '{{agent}}: the proxy, since the running wirelog listens beyond this machine and its gateway needs a token',
    codex: {
      chatgpt:
        'Codex signed in with ChatGPT calls {{upstream}}, whose address no setting changes: the proxy, with the CA in CODEX_CA_CERTIFICATE (Codex follows HTTPS_PROXY)',
      openai:
        'Codex with an OpenAI API key calls {{upstream}} ({{from}}): the proxy, with the CA in CODEX_CA_CERTIFICATE (Codex follows HTTPS_PROXY)',
      'built-in':
        'Codex with its built-in provider {{provider}}: the proxy (Codex follows HTTPS_PROXY, for loopback too)',
      custom:
        "Codex with its provider {{provider}} calls {{upstream}} ({{from}}): wirelog's gateway through -c model_providers.{{provider}}.base_url, no CA needed; config.toml stays as it is",
    },
    claude: {
      anthropic:
        "Claude Code calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}, no CA needed; its settings files stay as they are",
      bedrock:
        "Claude Code on Bedrock with an API key calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}",
      'bedrock-sigv4':
        'Claude Code on Bedrock signs each request for the host it goes to (AWS SigV4), which a gateway address would break: the proxy, with the CA in NODE_EXTRA_CA_CERTS',
      vertex: "Claude Code on Vertex AI calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}",
    },
    gemini: {
      'api-key':
        "Gemini CLI with an API key calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}, no CA needed",
      vertex: "Gemini CLI on Vertex AI calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}",
      oauth:
        'Gemini CLI signed in with Google talks to Code Assist, which no base-URL setting reaches: the proxy, with the CA in NODE_EXTRA_CA_CERTS',
    },
    qwen: {
      openai:
        "Qwen Code with an OpenAI-compatible key calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}",
      oauth: 'Qwen Code signed in with Qwen OAuth: the proxy, with the CA in NODE_EXTRA_CA_CERTS',
    },
    kimi: {
      kimi: "Kimi CLI calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}",
      openai:
        "Kimi CLI with an OpenAI-compatible provider calls {{upstream}} ({{from}}): wirelog's gateway through {{variables}}",
      other: 'Kimi CLI with a provider no variable overrides: the proxy, with the CA bundle in SSL_CERT_FILE',
    },
    opencode: {
      any: 'OpenCode keeps one base URL per provider in opencode.json: the proxy, with the CA in NODE_EXTRA_CA_CERTS (Bun follows HTTPS_PROXY)',
    },
    aider: {
      any: 'aider is a Python program (litellm over httpx): the proxy and the CA bundle, as for any Python script',
    },
  },
};

export type LaunchMessages = typeof launchEn;
