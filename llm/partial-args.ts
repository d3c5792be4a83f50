// Vertex AI streams a function call's arguments in pieces when streamFunctionCallArguments is
// on: `functionCall` parts carry `partialArgs` ({jsonPath, stringValue | numberValue |
// boolValue | nullValue, willContinue}), and `willContinue` on the call says more parts follow.
// This puts the pieces back into the one arguments object they are.
import { MAX_JSON_DEPTH } from '../model/json-depth.ts';
import { obj, str, type JsonObject } from './json.ts';

type PathStep = string | number;

/** The steps of an RFC 9535 path as Vertex writes them: `$.a.b[0]`, `$['a b']`; null for anything else. */
export function parsePath(path: string): PathStep[] | null {
  if (!path.startsWith('$')) return null;
  const steps: PathStep[] = [];
  const step = /\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < path.length) {
    const m = step.exec(path);
    if (!m) return null;
    // Deeper than the arguments can be written back as JSON (JSON.stringify recurses).
    if (steps.length >= MAX_JSON_DEPTH) return null;
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else steps.push((m[3] ?? m[4]).replace(/\\(.)/g, '$1'));
  }
  return steps;
}

function valueOfArg(arg: JsonObject): { value: unknown } | null {
  if (typeof arg.stringValue === 'string') return { value: arg.stringValue };
  if (typeof arg.numberValue === 'number') return { value: arg.numberValue };
  if (typeof arg.boolValue === 'boolean') return { value: arg.boolValue };
  if ('nullValue' in arg) return { value: null };
  return null;
}

/** One function call whose arguments arrive in pieces. */
export class StreamedArguments {
  readonly args: JsonObject = {};
  /** Paths whose string value continues in the next piece (the piece before said willContinue). */
  private readonly continuing = new Set<string>();

  /** Adds a part's `args` (whole values) and `partialArgs` (pieces); pieces with a path it cannot read are kept under that path. */
  add(functionCall: JsonObject): void {
    Object.assign(this.args, obj(functionCall.args));
    for (const entry of Array.isArray(functionCall.partialArgs) ? functionCall.partialArgs : []) {
      const arg = obj(entry);
      const path = str(arg.jsonPath) ?? '';
      const piece = valueOfArg(arg);
      if (piece) this.set(path, piece.value);
      if (arg.willContinue === true) this.continuing.add(path);
      else this.continuing.delete(path);
    }
  }

  private set(path: string, value: unknown): void {
    const steps = parsePath(path) ?? [path];
    if (steps.length === 0) return;
    let container: Record<string | number, unknown> = this.args;
    for (let i = 0; i < steps.length - 1; i++) {
      const next = container[steps[i]];
      const fresh = typeof steps[i + 1] === 'number' ? [] : {};
      container[steps[i]] = next !== null && typeof next === 'object' ? next : fresh;
      container = container[steps[i]] as Record<string | number, unknown>;
    }
    const last = steps[steps.length - 1];
    const before = container[last];
    container[last] =
      this.continuing.has(path) && typeof before === 'string' && typeof value === 'string' ? before + value : value;
  }

  text(): string {
    return JSON.stringify(this.args);
  }
}
