// Tokens, cache and cost: `wirelog usage` and the viewer's cost of a call. Flags, field names,
// the price table's name and dollar figures are the same in every language.

export const usageEn = {
  help: `wirelog usage [--by session|model|host|day] [--since ISO] [--json|--csv] [--data-dir DIR]
Tokens, cache and cost of the model calls captured, summed per agent session (default), model, host or day (local time).
  --since ISO   only calls started at or after this time (2026-11-24 or 2026-11-24T10:00:00Z)
  --json        one object per group: key, calls, inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens,
                reasoningTokens (null: none reported), cost (USD, or null), costSource (provider, estimated, unknown)
  --csv         the same fields as comma-separated values, with a header line
Figures are the providers' own; a cost is the provider's (OpenRouter), else estimated from {{table}} (prices of {{date}}),
else unknown (a relay sets its own prices; a model the table lacks). A group with any unknown cost has cost null.`,
  errors: {
    by: '--by must be session, model, host or day, not "{{value}}"',
    since: '--since must be an ISO date such as 2026-11-24 or 2026-11-24T10:00:00Z, not "{{value}}"',
    format: '--json and --csv print different formats: give one of them',
    unknownFlag: '{{flag}} is not a flag of wirelog usage (see `wirelog usage --help`)',
    needsValue: '{{flag}} needs a value (see `wirelog usage --help`)',
    takesNoValue: '{{flag}} takes no value (see `wirelog usage --help`)',
    positional: 'wirelog usage takes flags only, not "{{arg}}" (see `wirelog usage --help`)',
    noDatabase:
      'no captures in {{dir}} yet: start wirelog (`wirelog start`) and send traffic through it, or pass the right --data-dir',
  },
  table: {
    title: {
      session: 'Model calls by session',
      model: 'Model calls by model',
      host: 'Model calls by host',
      day: 'Model calls by day (local time)',
    },
    since: 'since {{since}}',
    key: {
      session: 'session',
      model: 'model',
      host: 'host',
      day: 'day',
    },
    calls: 'calls',
    input: 'input',
    output: 'output',
    cacheRead: 'cache rd',
    cacheWrite: 'cache wr',
    reasoning: 'reason',
    hitRate: 'hit',
    cost: 'cost',
    noKey: {
      session: '(no session)',
      model: '(no model)',
      host: '(no host)',
      day: '(no day)',
    },
    total: 'total',
    none: 'no model calls stored{{since}}',
    legendEstimated: '~ estimated from {{table}} (prices of {{date}}); the rest is the provider’s own figure',
    legendUnknown:
      '? price unknown for {{count}} call(s) (relay or model without a price): cost shown is the part known',
    legendNoUsage: '{{count}} call(s) reported no usage (failed or cut): counted, with no tokens',
    legendTokens: 'input as the providers count it (Anthropic without cache reads); reasoning: where reported',
  },
  // The viewer's cost of one call.
  badge: {
    label: 'cost',
    provider: '${{usd}}',
    providerTitle: 'the provider’s own figure for this call',
    estimated: '~${{usd}}',
    estimatedTitle:
      'estimated from {{table}} (prices of {{date}}): {{provider}} {{model}}, per million tokens: input ${{input}}, output ${{output}}, cache read ${{cacheRead}}, cache write ${{cacheWrite}}{{tiered}}',
    tiered: ' (base rate; a long prompt is priced at its tier)',
    noRate: '—',
    unknown: 'price unknown',
    why: {
      relay: 'price unknown: a relay or gateway sets its own prices',
      model: 'price unknown: the price table has no price for this model at this provider',
      tokens: 'price unknown: the provider reported no (or only some) token counts',
    },
    hitRate: 'cache hit rate',
  },
};

export type UsageMessages = typeof usageEn;
