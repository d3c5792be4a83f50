// What a tool of `wirelog mcp` is: a name, a description for the model, a zod schema of its
// arguments (advertised as JSON Schema), and what it answers (sent back as JSON text).
import type { z } from 'zod';
import type { CaptureDatabase } from './database.ts';

export { ToolError } from './tool-error.ts';

export interface ToolContext {
  database: CaptureDatabase;
  /** Replay through the running wirelog is offered only with --allow-replay. */
  allowReplay: boolean;
}

export interface Tool<S extends z.AnyZodObject = z.AnyZodObject> {
  name: string;
  /** Read by models: what the tool answers and when to call it (English). */
  description: string;
  input: S;
  run(args: z.infer<S>, context: ToolContext): unknown | Promise<unknown>;
}

/** A tool with its argument type checked against its schema. */
export function tool<S extends z.AnyZodObject>(definition: Tool<S>): Tool {
  return definition as unknown as Tool;
}

/** A text cut to `max` characters, saying how long it was: the caller sets how much of a body it can take. */
export function trimmed(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}… [${(text.length - max).toLocaleString('en-US')} more characters; ask with a larger maxBodyChars]`
    : text;
}
