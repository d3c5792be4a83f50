// Environment variable names made from a captured host, for what wirelog hands the user to
// export (Codex's env_key, a snippet's key variable). Always [A-Z_][A-Z0-9_]*: the names every
// POSIX shell can `export` (`127_API_KEY` is not one), which fish and PowerShell take too.

/** What a shell accepts after `export`. */
export const SHELL_VARIABLE_NAME = /^[A-Z_][A-Z0-9_]*$/;

// Labels that say nothing about whose service it is: api.openai.com is OPENAI.
const GENERIC_LABELS = new Set(['api', 'www', 'gateway', 'com', 'ai', 'io', 'net', 'org', 'dev']);

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function words(text: string): string {
  return text
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** A Unicode name in its ASCII (punycode) form, as a URL parser writes it; unchanged when it is not a valid name. */
function asciiHost(host: string): string {
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return host;
  }
}

/**
 * The part of a variable name that says which service: OPENROUTER for openrouter.ai, MY_RELAY for
 * my-relay.example, LOCALHOST. An address, or a name whose word starts with a digit (1password.example),
 * gets WIRELOG_ in front (WIRELOG_127_0_0_1, WIRELOG_IPV6_1 for [::1], WIRELOG_1PASSWORD); a
 * Unicode name is spelled in punycode (XN_80AK6AA92E).
 */
export function hostVariableWord(host: string): string {
  // A zone id as a URL spells it (fe80::1%25eth0) names the same address as fe80::1%eth0.
  const bare = host
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%25/, '%');
  if (bare.includes(':')) return `WIRELOG_IPV6_${words(bare)}`.replace(/_$/, '');
  // As a URL reads it: 127.1 and 0x7f.0.0.1 are 127.0.0.1, a Unicode name its punycode.
  const ascii = asciiHost(bare);
  if (IPV4.test(ascii)) return `WIRELOG_${words(ascii)}`;
  const labels = ascii
    .toLowerCase()
    .split('.')
    .filter((label) => label && !GENERIC_LABELS.has(label));
  const word = words(labels[0] ?? '');
  if (!word) return 'WIRELOG';
  return /^[0-9]/.test(word) ? `WIRELOG_${word}` : word;
}

/** The variable a key for `host` is read from: OPENROUTER_API_KEY, WIRELOG_127_0_0_1_API_KEY; `what` for others (COOKIE). */
export function keyVariableName(host: string, what = 'API_KEY'): string {
  return `${hostVariableWord(host)}_${what}`;
}
