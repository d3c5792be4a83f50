// The CLI's terminal pieces as functions: the list's table at a given width, the shell `wirelog
// env` writes for, how the banner writes the wirelog command, and progress on a terminal or a pipe.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createI18n } from '../i18n/index.ts';
import type { ExchangeSummary } from '../model/summary.ts';
import { cutMiddle, displayWidth, failed, FAILED_MARK, listTable, printable } from '../cli/list-table.ts';
import { detectShell, shellOf } from '../cli/shell.ts';
import { wirelogCommand } from '../cli/invocation.ts';
import { progressLine } from '../cli/progress.ts';

const en = createI18n('en').t;
const zh = createI18n('zh-CN').t;

function summary(id: number, over: Partial<ExchangeSummary> = {}): ExchangeSummary {
  return {
    id,
    startedAt: Date.UTC(2026, 10, 24, 10, 0, id),
    method: 'POST',
    url: `https://openrouter.ai/api/v1/chat/completions/responses?n=${id}`,
    host: 'openrouter.ai',
    status: 200,
    state: 'complete',
    error: null,
    durationMs: 1234,
    requestSize: 100,
    responseSize: 2048,
    streamKind: null,
    eventCount: 0,
    call: null,
    diagnosis: null,
    notes: null,
    ...over,
  } as ExchangeSummary;
}

const rows = [
  summary(12, {
    status: 404,
    call: { dialect: 'openai-responses', model: 'anthropic/claude-sonnet-4.5' } as ExchangeSummary['call'],
  }),
  summary(11, { status: null, state: 'aborted', error: 'client closed the connection' }),
  summary(10),
];

describe('wirelog list as a table', () => {
  it('a header, rows in the order given (newest first), a failure mark on the 404 and the aborted call only, the model', () => {
    const lines = listTable(rows, null, en);
    expect(lines[0]).toMatch(/^\s*ID\s+TIME \(UTC\)\s+METHOD\s+STATUS\s+DURATION\s+SIZE\s+MODEL\s+URL$/);
    expect(lines.slice(1).map((l) => Number(/^\s*(\d+)/.exec(l)![1]))).toEqual([12, 11, 10]);
    expect(lines[1]).toContain(`${FAILED_MARK} 404`);
    expect(lines[1]).toContain('anthropic/claude-sonnet-4.5');
    expect(lines[2]).toContain(`${FAILED_MARK} ---`);
    expect(lines[2]).toContain('[aborted: client closed the connection]');
    expect(lines[3]).not.toContain(FAILED_MARK);
    expect(rows.map(failed)).toEqual([true, true, false]);
  });

  it('piped (no width): nothing is cut, every URL whole', () => {
    const long = summary(1, { url: `https://relay.example/${'x'.repeat(400)}/chat/completions` });
    const [, line] = listTable([long], null, en);
    expect(line).toContain(long.url);
  });

  it.each([60, 80, 100, 132, 200])(
    'in a %i-column terminal no line is wider, and each URL keeps its host and its end',
    (width) => {
      for (const t of [en, zh]) {
        const lines = listTable(rows, width, t);
        for (const line of lines) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
        for (const line of lines.slice(1)) expect(line).toMatch(/https:\/\/o.*n=1\d/);
      }
    },
  );

  it('the columns line up under the header in Chinese too (a Chinese character is two columns)', () => {
    const lines = listTable(rows, 120, zh);
    expect(lines[0]).toMatch(/编号.*时间 \(UTC\).*方法.*状态.*耗时.*大小.*模型.*URL/);
    // The status column starts at the same terminal column in the header and in every row.
    const header = displayWidth(lines[0].slice(0, lines[0].indexOf('状态')));
    for (const line of lines.slice(1)) {
      const at = displayWidth(line.slice(0, line.search(/[✗ ] (?:\d{3}|---) /)));
      expect(at, line).toBe(header);
    }
  });

  it('cuts a URL in its middle, and shows control characters instead of sending them to the terminal', () => {
    expect(cutMiddle('https://openrouter.ai/api/v1/chat/completions', 30)).toBe('https://open…/chat/completions');
    expect(displayWidth(cutMiddle('https://中转站.example/令牌/渠道/分组', 15))).toBeLessThanOrEqual(15);
    expect(printable('GET \u001b[2J')).toBe('GET \\x1b[2J');
  });
});

describe('the shell wirelog env writes for', () => {
  it('reads a shell from a program name or path', () => {
    expect(shellOf('/usr/bin/fish')).toBe('fish');
    expect(shellOf('-zsh')).toBe('zsh');
    expect(shellOf('pwsh.exe')).toBe('powershell');
    expect(shellOf('dash')).toBe('bash');
    expect(shellOf('node')).toBe(null);
  });

  it('the parent process when it is a shell, else $SHELL, else bash', () => {
    expect(detectShell({ SHELL: '/bin/bash' }, 'fish')).toBe('fish');
    expect(detectShell({ SHELL: '/usr/bin/fish' }, 'node')).toBe('fish');
    expect(detectShell({ SHELL: '/usr/bin/fish' }, null)).toBe('fish');
    expect(detectShell({}, 'npm')).toBe('bash');
  });
});

describe('the wirelog command as the banner writes it', () => {
  it('`wirelog` when it is on PATH, else `node <script>` as it runs here', () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-path-'));
    fs.writeFileSync(path.join(bin, 'wirelog'), '#!/bin/sh\n', { mode: 0o755 });
    expect(wirelogCommand({ PATH: bin }, '/src/wirelog/bin/wirelog.js', '/src/wirelog')).toEqual({
      command: 'wirelog',
      onPath: true,
    });
    expect(wirelogCommand({ PATH: '/nowhere' }, '/src/wirelog/bin/wirelog.js', '/src/wirelog')).toEqual({
      command: 'node bin/wirelog.js',
      onPath: false,
    });
    expect(wirelogCommand({ PATH: '/nowhere' }, '/src/my tools/bin/wirelog.js', '/home')).toEqual({
      command: 'node "/src/my tools/bin/wirelog.js"',
      onPath: false,
    });
    fs.rmSync(bin, { recursive: true });
  });
});

describe('progress', () => {
  function stream(isTTY: boolean) {
    const written: string[] = [];
    return { written, stream: { isTTY, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream };
  }

  it('on a terminal: one line rewritten in place, ended by one newline', () => {
    const { written, stream: s } = stream(true);
    const p = progressLine(s);
    p.update('checking a.har: 1 entries');
    p.update('checking a.har: 2 entries');
    p.done();
    expect(written.join('')).toBe('\r\x1b[Kchecking a.har: 1 entries\r\x1b[Kchecking a.har: 2 entries\n');
  });

  it('into a pipe: plain lines', () => {
    const { written, stream: s } = stream(false);
    const p = progressLine(s);
    p.update('one');
    p.update('two');
    p.done();
    expect(written.join('')).toBe('one\ntwo\n');
  });
});
