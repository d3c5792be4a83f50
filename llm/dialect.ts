import type { Dialect } from './model-call.ts';

/** Which API a request speaks, from its method and path (the body is not needed to tell). */
export function detectDialect(method: string, path: string): Dialect | null {
  const pathname = path.split('?')[0];
  if (/:(stream)?generateContent$/i.test(pathname)) return 'gemini';
  if (/:(batchE|e)mbedContents?$/i.test(pathname) || /\/embeddings$/.test(pathname)) return 'embeddings';
  if (/\/chat\/completions$/.test(pathname)) return 'openai-chat';
  if (/\/responses$/.test(pathname)) return 'openai-responses';
  if (/\/messages$/.test(pathname) && method === 'POST') return 'anthropic-messages';
  if (/\/completions$/.test(pathname) && method === 'POST') return 'openai-completions';
  if (/\/models$/.test(pathname) && method === 'GET') return 'models';
  return null;
}
