import { Fragment } from 'react';

/**
 * The config a fix tells the user to write, inside its sentence in either language: TOML lines
 * (`env_key = "…"`, `http_headers = { … }`, `[model_providers.NAME]`), header lines
 * (`Authorization: Bearer YOUR_KEY`, `-H "…"`), SDK calls, `export VAR` and URLs. These are never
 * translated (they are typed as they are), so they are shown as code: copied whole, and left
 * alone by a page translator.
 */
const CONFIG = new RegExp(
  [
    String.raw`[\w.-]+ = \{[^}]*\}`,
    String.raw`[\w.-]+ = (?:"[^"]*"|true|false|\d+)`,
    String.raw`\[[\w.-]+\]`,
    '-H "[^"]*"',
    String.raw`\b(?:Authorization|[Xx]-[\w-]+|api-key): (?:Bearer )?[\w$.*-]+`,
    String.raw`\bnew OpenAI\(\{[^}]*\}\)`,
    String.raw`\bOpenAI\([^)]*\)`,
    String.raw`\bexport [A-Z_][A-Z0-9_]*`,
    String.raw`https?://[^\s"'（）()，。；,;]+`,
  ].join('|'),
  'g',
);

/** A diagnosis's fix: its words as they are, its config parts as code. */
export function FixText({ text }: { text: string }) {
  const parts: (string | { code: string })[] = [];
  let last = 0;
  for (const m of text.matchAll(CONFIG)) {
    if (m.index > last) parts.push(text.slice(last, m.index));
    parts.push({ code: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return (
    <>
      {parts.map((part, i) =>
        typeof part === 'string' ? (
          <Fragment key={i}>{part}</Fragment>
        ) : (
          <code key={i} translate="no" className="fix-config">
            {part.code}
          </code>
        ),
      )}
    </>
  );
}
