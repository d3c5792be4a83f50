// The real Codex CLI (node_modules/@openai/codex) against a scripted Responses upstream: its own
// CODEX_HOME with one provider, its run with standard input closed, and the stream it needs.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { tempDir } from './harness.ts';

export const CODEX_BIN = path.resolve('node_modules/@openai/codex/bin/codex.js');

/** Runs Codex with its standard input closed (`codex exec` reads more of the prompt from a stdin left open). */
export function runCodex(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  timeoutMs = 150_000,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [CODEX_BIN, ...args],
      { ...options, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(Object.assign(err, { stdout, stderr })) : resolve({ stdout, stderr })),
    );
    child.stdin?.end();
  });
}

/**
 * A CODEX_HOME of its own whose config.toml sends model `fake-codex-model` to `baseUrl` (provider
 * `scripted`, its key from SCRIPTED_API_KEY), with no approvals, analytics or plugins; `extra`
 * lines are appended. Returns the home, a work folder in it and the environment to run Codex in.
 */
export function scriptedCodexHome(
  baseUrl: string,
  extra: string[] = [],
): { home: string; work: string; env: NodeJS.ProcessEnv } {
  const home = tempDir('wirelog-codex-home-');
  const work = path.join(home, 'work');
  fs.mkdirSync(work);
  fs.writeFileSync(
    path.join(home, 'config.toml'),
    [
      'model = "fake-codex-model"',
      'model_provider = "scripted"',
      'approval_policy = "never"',
      'sandbox_mode = "danger-full-access"',
      '[model_providers.scripted]',
      'name = "scripted"',
      `base_url = "${baseUrl}"`,
      'env_key = "SCRIPTED_API_KEY"',
      'wire_api = "responses"',
      '[analytics]',
      'enabled = false',
      '[features]',
      'plugins = false',
      ...extra,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    CODEX_HOME: home,
    SCRIPTED_API_KEY: 'sk-scripted-000011112222',
    TERM: 'dumb',
  };
  return { home, work, env };
}

/** A Responses stream as Codex needs it: one item added and done, then response.completed with the response's id and usage. */
export function answerWithItem(
  res: http.ServerResponse,
  id: string,
  item: Record<string, unknown>,
  usage: Record<string, unknown>,
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('response.created', { response: { id, model: 'fake-codex-model', status: 'in_progress' } });
  event('response.output_item.added', { output_index: 0, item });
  event('response.output_item.done', { output_index: 0, item });
  event('response.completed', {
    response: { id, model: 'fake-codex-model', status: 'completed', output: [item], usage },
  });
  res.end();
}
