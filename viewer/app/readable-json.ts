// JSON as a person reads it: keys and values indented, strings as their text (newlines and quotes
// as they are, not as \n and \"), and a string that itself holds JSON (a tool's result, a call's
// arguments: escaped once more inside the request) read as JSON too. Bounded in depth and length.

/** Characters produced at most: the rest is cut with an ellipsis (the whole text is one click away). */
const MAX_CHARS = 64 * 1024;
const MAX_DEPTH = 24;

function parsedString(text: string): unknown {
  const trimmed = text.trim();
  if (!/^[[{]/.test(trimmed)) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    return undefined;
  }
}

function write(value: unknown, indent: string, depth: number, out: string[], budget: { left: number }): void {
  const push = (text: string) => {
    if (budget.left <= 0) return;
    out.push(text.length > budget.left ? `${text.slice(0, budget.left)}…` : text);
    budget.left -= text.length;
  };
  if (typeof value === 'string') {
    const inner = depth < MAX_DEPTH ? parsedString(value) : undefined;
    if (inner !== undefined && inner !== null && typeof inner === 'object')
      return write(inner, indent, depth + 1, out, budget);
    // A multi-line string continues on lines of its own, at the key's indentation.
    return push(
      value.includes('\n')
        ? `\n${value
            .split('\n')
            .map((line) => `${indent}${line}`)
            .join('\n')}`
        : value,
    );
  }
  if (value === null || typeof value !== 'object' || depth >= MAX_DEPTH)
    return push(JSON.stringify(value) ?? String(value));
  const entries: [string, unknown][] = Array.isArray(value) ? value.map((v) => ['-', v]) : Object.entries(value);
  if (entries.length === 0) return push(Array.isArray(value) ? '[]' : '{}');
  for (const [key, child] of entries) {
    if (budget.left <= 0) return;
    push(`\n${indent}${key === '-' ? '-' : `${key}:`}`);
    // What continues on lines of its own (an object, a multi-line text, a string holding JSON) starts there; the rest follows the key.
    const ownLines =
      child !== null && typeof child === 'object'
        ? Object.keys(child).length > 0
        : typeof child === 'string' && (child.includes('\n') || parsedString(child) !== undefined);
    if (!ownLines) push(' ');
    write(child, `${indent}  `, depth + 1, out, budget);
  }
}

/** The JSON text as readable text, or null when it is not a JSON object or array. */
export function readableJson(text: string): string | null {
  const value = parsedString(text);
  if (value === undefined || value === null || typeof value !== 'object') return null;
  const out: string[] = [];
  write(value, '', 0, out, { left: MAX_CHARS });
  return out.join('').replace(/^\n/, '');
}

/** The same on one line (a list row): line breaks shown as ⏎. */
export function readableLine(text: string): string {
  const readable = readableJson(text);
  return (readable ?? text).replace(/\s*\n\s*/g, ' ⏎ ');
}
