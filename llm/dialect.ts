import type { Dialect } from './model-call.ts';

/** Which API a request speaks, from its method and path (the body is not needed to tell). */
export function detectDialect(method: string, path: string): Dialect | null {
  const pathname = path.split('?')[0];
  if (/:(stream)?generateContent$/i.test(pathname)) return 'gemini';
  // Claude on Vertex AI: the Messages API under publishers/anthropic, the model in the path.
  if (/\/publishers\/anthropic\/models\/[^/]+:(stream)?rawPredict$/i.test(pathname)) return 'anthropic-messages';
  if (/:(batchE|e)mbedContents?$/i.test(pathname) || /\/embeddings$/.test(pathname)) return 'embeddings';
  // OpenAI's Images API (Azure's too: …/deployments/NAME/images/generations).
  if (/\/images\/(generations|edits|variations)$/.test(pathname) && method === 'POST') return 'openai-images';
  if (/\/chat\/completions$/.test(pathname)) return 'openai-chat';
  if (/\/responses$/.test(pathname)) return 'openai-responses';
  if (/\/messages$/.test(pathname) && method === 'POST') return 'anthropic-messages';
  if (/\/completions$/.test(pathname) && method === 'POST') return 'openai-completions';
  if (/\/models$/.test(pathname) && method === 'GET') return 'models';
  return null;
}
