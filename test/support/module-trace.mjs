// Preloaded into a wirelog process (NODE_OPTIONS=--import=<this file>) by tests that check what it
// has loaded: every specifier resolved by the main thread's module loader is appended to the file
// named by WIRELOG_MODULE_TRACE, one a line.
import { register } from 'node:module';

const hooks = `
import fs from 'node:fs';
export async function resolve(specifier, context, next) {
  fs.appendFileSync(${JSON.stringify(process.env.WIRELOG_MODULE_TRACE)}, specifier + '\\n');
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
