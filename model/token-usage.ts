// What a model call consumed, in the provider's own figures. Nothing here is computed: a
// provider that sends no total has none, and cache reads are never folded into the input.

/** Token counts and cost exactly as the provider reported them; a figure it did not report is absent. */
export interface Usage {
  /** As the provider counts it: OpenAI includes cached tokens here, Anthropic does not. */
  input?: number;
  output?: number;
  /** Input tokens read from the provider's prompt cache. */
  cacheRead?: number;
  /** Input tokens written to the prompt cache (Anthropic's cache_creation_input_tokens). */
  cacheCreation?: number;
  reasoning?: number;
  /** Only when the provider sent one. */
  total?: number;
  /** The provider's own charge for the call (OpenRouter's usage.cost), in its unit (credits, USD). */
  cost?: number;
}

export const USAGE_FIELDS: readonly (readonly [keyof Usage, string])[] = [
  ['input', 'input tokens'],
  ['cacheRead', 'cache read'],
  ['cacheCreation', 'cache creation'],
  ['output', 'output tokens'],
  ['reasoning', 'reasoning'],
  ['total', 'total tokens'],
  ['cost', 'cost'],
];

/** "input tokens 74 · cache read 13,993 · output tokens 120": every figure reported, none added. */
export function usageLine(usage: Usage): string {
  return USAGE_FIELDS.filter(([key]) => usage[key] !== undefined)
    .map(([key, label]) => `${label} ${key === 'cost' ? String(usage[key]) : usage[key]!.toLocaleString('en-US')}`)
    .join(' · ');
}
