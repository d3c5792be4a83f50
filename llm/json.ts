// Reading provider JSON without trusting its shape: every accessor tolerates anything.
import { nestedDeeperThan } from '../model/json-depth.ts';

export type JsonObject = Record<string, unknown>;

export function obj(value: unknown): JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : {};
}

export function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

export function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function parseJson(text: string | null | undefined): unknown {
  // Deeper than any walk here can go (and than any provider writes): read as text, not JSON.
  if (!text || nestedDeeperThan(text)) return undefined;
  try {
    // A byte order mark before the JSON text, which RFC 8259 (8.1) lets a parser ignore; JSON.parse refuses it.
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}

/** Text of a string or of content parts ([{type:'text', text}], [{text}]), joined. */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return arr(value)
    .map((part) => str(obj(part).text) ?? '')
    .filter(Boolean)
    .join('\n');
}

/** Drops keys whose value is undefined, so "absent stays absent" survives JSON round trips. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The charge a provider or relay reports in its usage: OpenRouter's `cost`, Perplexity's `cost.total_cost`. */
export function costOf(usage: JsonObject): number | undefined {
  return num(usage.cost) ?? num(obj(usage.cost).total_cost) ?? num(usage.total_cost);
}

/**
 * A provider's error object as one line: its message, then its type or code in brackets
 * (`Overloaded (overloaded_error)`), which is what tells a quota from an overload.
 */
export function errorLine(error: unknown, fallback: string): string {
  const e = obj(error);
  const message = str(e.message) ?? (typeof error === 'string' ? error : null);
  // `type: "error"` names the event, not the error.
  const kinds = [
    str(e.type),
    str(e.code) ?? (typeof e.code === 'number' ? String(e.code) : null),
    str(e.status),
  ].filter((k): k is string => !!k && k !== message && k !== 'error');
  const kind = [...new Set(kinds)].join(', ');
  return message ? (kind ? `${message} (${kind})` : message) : kind || fallback;
}

/**
 * The complete elements of a JSON array cut off partway (`[{...},{...},{"can`), as a
 * streamed JSON array is when its stream stops early; null when the text is not such an array.
 */
export function partialJsonArray(text: string): unknown[] | null {
  const start = text.indexOf('[');
  if (start < 0 || text.slice(0, start).trim() !== '') return null;
  const elements: unknown[] = [];
  let depth = 0;
  let inString = false;
  let elementStart = -1;
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) elementStart = i;
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) break; // the array's own end
      depth--;
      if (depth === 0 && elementStart >= 0) {
        const element = parseJson(text.slice(elementStart, i + 1));
        if (element === undefined) return elements;
        elements.push(element);
        elementStart = -1;
      }
    }
  }
  return elements;
}
