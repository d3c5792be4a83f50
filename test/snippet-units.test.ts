// export/snippets.ts without sockets or processes (the runs are in snippet-injection.test.ts):
// each quoting function gives back exactly its text, and each refusal names its field. Fast
// enough for mutation testing (StrykerJS).
import { describe, expect, it } from 'vitest';
import { harEntry } from '../export/har.ts';
import {
  SnippetError,
  keyVariable,
  pyString,
  shellString,
  snippet,
  type HarRequest,
  type SnippetTarget,
} from '../export/snippets.ts';
import { analyzeExchange } from '../llm/analyze.ts';
import { codexConfig } from '../llm/codex-provider-block.ts';
import { SHELL_VARIABLE_NAME } from '../model/env-name.ts';
import type { RequestHead } from '../model/exchange.ts';
import { harFlow } from './support/exchange-factory.ts';

function snip(
  target: SnippetTarget,
  head: Partial<RequestHead> = {},
  body = '',
  dialect: string | null = null,
): string {
  const source = harFlow({
    request: {
      host: '127.0.0.1',
      port: 8080,
      scheme: 'http',
      ...head,
      headers: [['Host', '127.0.0.1:8080'], ...(head.headers ?? [])],
    },
    requestBody: [body, body ? 'application/json' : ''],
  });
  return snippet(
    { exchange: source.exchange, request: harEntry(source).request as HarRequest, body: Buffer.from(body), dialect },
    target,
  );
}

function refused(target: SnippetTarget, head: Partial<RequestHead>, body = '', dialect: string | null = null): string {
  try {
    snip(target, head, body, dialect);
  } catch (err) {
    expect(err).toBeInstanceOf(SnippetError);
    return (err as Error).message;
  }
  throw new Error('written');
}

/** What sh would make of a word written by shellString (single quotes and backslashes only). */
function unshell(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) {
    if (word[i] === "'") {
      const end = word.indexOf("'", i + 1);
      // fish reads \\ and \' inside single quotes: none there.
      if (word.slice(i + 1, end).includes('\\')) throw new Error(`a backslash inside quotes in ${word}`);
      out += word.slice(i + 1, end);
      i = end;
    } else if (word[i] === '\\') out += word[++i];
    else throw new Error(`bare ${word[i]} in ${word}`);
  }
  return out;
}

const NASTY = [
  "it's",
  'a\\b',
  "\\'",
  "''",
  '$(x) `y` ${z} #{w} %s',
  'line\nbreak\r',
  '\u2028\u2029\u202e',
  '😀 中文',
  '',
  '"',
  "'\\'\\",
];

describe('quoting', () => {
  it.each(NASTY)('shellString(%j) is read back exactly, with no backslash inside single quotes', (text) => {
    expect(unshell(shellString(text))).toBe(text);
  });

  it.each(NASTY)('pyString(%j) is a Python literal of exactly that text (read as JSON, which it is)', (text) => {
    const literal = pyString(text);
    expect(literal).toMatch(/^".*"$/s);
    expect(literal).not.toMatch(/[\n\r\u2028\u2029\u202e]/);
    expect(JSON.parse(literal)).toBe(text);
  });
});

describe('what each target writes', () => {
  const head: Partial<RequestHead> = {
    method: 'POST',
    path: '/v1/chat/completions?a=1&key=****1234',
    headers: [
      ['Authorization', 'Bearer ****abcd'],
      ['X-Q', `it's "q" \\ \${x}`],
      ['Cookie', 'a=****wxyz'],
      ['x-a', '1'],
      ['X-A', '2'],
      ['X-Empty', ''],
    ],
  };
  const body = '{"model":"m","messages":[],"s":"it\'s \\"q\\" \\\\ \u2028"}';

  it('curl', () => {
    expect(snip('curl', head, body.replace('\u2028', ''))).toBe(
      [
        'curl --request POST',
        `  --url 'http://127.0.0.1:8080/v1/chat/completions?a=1&key='"$WIRELOG_127_0_0_1_API_KEY"''`,
        `  --header 'Authorization: Bearer '"$WIRELOG_127_0_0_1_API_KEY"''`,
        `  --header 'X-Q: it'\\''s "q" '\\\\' \${x}'`,
        `  --header 'Cookie: a='"$WIRELOG_127_0_0_1_COOKIE"''`,
        `  --header 'x-a: 1'`,
        `  --header 'X-A: 2'`,
        `  --header 'X-Empty;'`,
        `  --data-raw '{"model":"m","messages":[],"s":"it'\\''s '\\\\'"q'\\\\'" '\\\\\\\\' "}'`,
      ].join(' \\\n'),
    );
  });

  it('fetch', () => {
    expect(snip('fetch', head, body)).toBe(
      [
        "const url = 'http://127.0.0.1:8080/v1/chat/completions?a=1&key=' + process.env.WIRELOG_127_0_0_1_API_KEY;",
        'const options = {',
        "  method: 'POST',",
        '  headers: {',
        "    Authorization: 'Bearer ' + process.env.WIRELOG_127_0_0_1_API_KEY,",
        "    'X-Q': 'it\\'s \"q\" \\\\ ${x}',",
        "    Cookie: 'a=' + process.env.WIRELOG_127_0_0_1_COOKIE,",
        "    'x-a': '1, 2',",
        "    'X-Empty': '',",
        '  },',
        `  body: '{"model":"m","messages":[],"s":"it\\'s \\\\"q\\\\" \\\\\\\\ \\u2028"}',`,
        '};',
        '',
        'const response = await fetch(url, options);',
        'console.log(await response.text());',
        '',
      ].join('\n'),
    );
  });

  it('python', () => {
    expect(snip('python', head, body)).toBe(
      [
        'import os',
        '',
        'import requests',
        '',
        'url = "http://127.0.0.1:8080/v1/chat/completions?a=1&key=" + os.environ["WIRELOG_127_0_0_1_API_KEY"]',
        'headers = {',
        '    "Authorization": "Bearer " + os.environ["WIRELOG_127_0_0_1_API_KEY"],',
        '    "X-Q": "it\'s \\"q\\" \\\\ ${x}",',
        '    "Cookie": "a=" + os.environ["WIRELOG_127_0_0_1_COOKIE"],',
        '    "x-a": "1, 2",',
        '    "X-Empty": "",',
        '}',
        `payload = "{\\"model\\":\\"m\\",\\"messages\\":[],\\"s\\":\\"it's \\\\\\"q\\\\\\" \\\\\\\\ \\u2028\\"}".encode("utf-8")`,
        '',
        'response = requests.request("POST", url, headers=headers, data=payload)',
        'print(response.text)',
        '',
      ].join('\n'),
    );
  });

  it('openai: base URL, key variable, other headers and the query as defaults, the body as sent', () => {
    const code = snip('openai', head, body, 'openai-chat');
    expect(code).toContain(
      `client = OpenAI(base_url="http://127.0.0.1:8080/v1", api_key=os.environ["WIRELOG_127_0_0_1_API_KEY"], default_headers={"X-Q": "it's \\"q\\" \\\\ \${x}", "Cookie": "a=" + os.environ["WIRELOG_127_0_0_1_COOKIE"], "x-a": "1, 2", "X-Empty": ""}, default_query={"a": "1", "key": os.environ["WIRELOG_127_0_0_1_API_KEY"]})`,
    );
    expect(code).toContain(`request = json.loads(${pyString(body)})`);
    expect(code).toContain('response = client.chat.completions.create(**request)\nprint(response)');
    expect(snip('openai', { path: '/v1/responses' }, '{"model":"m","stream":true}', 'openai-responses')).toContain(
      'client.responses.create(**request)\nfor event in response:\n    print(event)',
    );
  });

  it('Basic credentials: the password from a variable, base64 made by the snippet', () => {
    const basic: Partial<RequestHead> = {
      host: 'api.openai.com',
      headers: [['Authorization', `Basic o'k\`$(x):****`]],
    };
    expect(snip('curl', basic)).toContain(`--user 'o'\\''k\`$(x):'"$OPENAI_PASSWORD"''`);
    expect(snip('fetch', basic)).toContain(
      `Authorization: 'Basic ' + Buffer.from('o\\'k\`$(x):' + process.env.OPENAI_PASSWORD).toString('base64'),`,
    );
    expect(snip('python', basic)).toContain(
      `"Authorization": "Basic " + base64.b64encode(("o'k\`$(x):" + os.environ["OPENAI_PASSWORD"]).encode()).decode(),`,
    );
    expect(snip('python', basic)).toMatch(/^import base64\nimport os\n/);
    // In another header, curl has no --user: base64 in the shell.
    expect(snip('curl', { headers: [['X-Auth', 'Basic u:****']] })).toContain(
      `--header 'X-Auth: Basic '"$(printf %s 'u:'"$WIRELOG_127_0_0_1_PASSWORD"'' | base64 | tr -d '\\n')"''`,
    );
  });

  it('HEAD, an IPv6 host, a binary body, a body a terminal would misread', () => {
    expect(snip('curl', { method: 'HEAD' })).toBe('curl --head \\\n  --url http://127.0.0.1:8080/v1/thing');
    expect(snip('curl', { host: '::1' })).toContain("--url 'http://[::1]:8080/v1/thing' \\\n  --globoff");
    expect(snip('curl', {}, '\x1b[201~x')).toMatch(/^printf %s 'G1syMDF\+eA==' \| base64 -d \| curl --request POST/);
    expect(snip('curl', {}, 'a\tb')).toMatch(/^printf %s /);
    expect(snip('curl', {}, 'a\nb')).toContain("--data-raw 'a\nb'");
  });

  it('a path percent-encoded where a client would re-encode it, the fragment dropped', () => {
    expect(snip('fetch', { path: "/a'b`c{d}|e^f\"g%zz%41?q=`x`'y\\" })).toContain(
      "const url = 'http://127.0.0.1:8080/a\\'b%60c%7Bd%7D%7Ce%5Ef%22g%25zz%41?q=%60x%60%27y%5C';",
    );
  });
});

describe('refusals name the field', () => {
  const cases: [string, Partial<RequestHead>, RegExp][] = [
    ['method', { method: 'GET /x' }, /^the method "GET \/x" is not an HTTP token/],
    ['header name', { headers: [['a:b', 'v']] }, /^the header name "a:b" is not an HTTP token/],
    ['CR', { headers: [['X-A', 'a\rb']] }, /^the header "X-A" holds a control character/],
    ['DEL', { headers: [['X-A', 'a\x7fb']] }, /^the header "X-A" holds a control character/],
    ['trailing space', { headers: [['X-A', 'a\t']] }, /^the value of the header "X-A" starts or ends with white space/],
    ['wss', { scheme: 'wss' }, /^this is a wss exchange/],
    ['host', { host: 'a$b' }, /^the host "a\$b" is not a DNS name/],
    ['no host', { host: '' }, /no URL to send a request to/],
  ];
  it.each(cases)('%s', (_name, head, reason) => {
    for (const target of ['curl', 'fetch', 'python'] as const) expect(refused(target, head)).toMatch(reason);
  });

  it('a long value is shown cut, escaped', () => {
    expect(refused('curl', { method: `${'A'.repeat(70)} \u2028` })).toContain(`"${'A'.repeat(60)}…"`);
    expect(refused('curl', { headers: [['X\u202e', 'v']] })).toContain('"X\\u202e"');
  });

  it('curl refuses header bytes a pasted command cannot carry', () => {
    for (const value of ['\xe9', latin1('\u2028'), 'a\tb'])
      expect(refused('curl', { headers: [['X-B', value]] })).toMatch(
        /^the header "X-B" holds bytes a pasted shell command cannot carry/,
      );
    expect(snip('curl', { headers: [['X-B', latin1('café 中文')]] })).toContain("--header 'X-B: café 中文'");
    // An imported value past U+00FF stands for its UTF-8.
    expect(snip('curl', { headers: [['X-B', '中文']] })).toContain("--header 'X-B: 中文'");
    expect(snip('fetch', { headers: [['X-B', '中']] })).toContain("'X-B': '\u00e4\u00b8\u00ad'");
  });

  it('openai: only for a JSON object sent to a Chat Completions or Responses path', () => {
    expect(refused('openai', { path: '/v1/chat/completions' }, '{}', null)).toMatch(
      /for Chat Completions and Responses calls/,
    );
    expect(refused('openai', { path: '/v1/embeddings' }, '{}', 'openai-chat')).toMatch(
      /for Chat Completions and Responses calls/,
    );
    expect(refused('openai', { path: '/v1;key=****1234/chat/completions' }, '{}', 'openai-chat')).toMatch(
      /for Chat Completions and Responses calls/,
    );
    expect(refused('openai', { path: '/v1/chat/completions' }, 'nope', 'openai-chat')).toMatch(/not JSON/);
    expect(refused('openai', { path: '/v1/chat/completions' }, '[1]', 'openai-chat')).toMatch(/not a JSON object/);
    expect(refused('openai', { path: '/v1/chat/completions' }, 'null', 'openai-chat')).toMatch(/not a JSON object/);
    expect(refused('openai', { path: '/v1/chat/completions?a=1&a=2' }, '{}', 'openai-chat')).toMatch(
      /repeats a parameter/,
    );
    expect(refused('openai', { path: '/v1/chat/completions?a=%E9' }, '{}', 'openai-chat')).toMatch(
      /not percent-encoded text/,
    );
    expect(refused('openai', { path: '/v1/chat/completions?****1234=1' }, '{}', 'openai-chat')).toMatch(
      /parameter name holds a masked secret/,
    );
    expect(snip('openai', { path: '/v1/chat/completions?flag&b=x+y%20z' }, '{}', 'openai-chat')).toContain(
      'default_query={"flag": "", "b": "x y z"}',
    );
    expect(
      snip(
        'openai',
        { path: '/v1/chat/completions', headers: [['Authorization', 'Basic u:****']] },
        '{}',
        'openai-chat',
      ),
    ).toContain(
      'api_key="YOUR_KEY", default_headers={"Authorization": "Basic " + base64.b64encode(("u:" + os.environ["WIRELOG_127_0_0_1_PASSWORD"]).encode()).decode()}',
    );
    expect(
      snip(
        'openai',
        { path: '/v1/chat/completions', headers: [['Authorization', 'Bearer sk-plain']] },
        '{}',
        'openai-chat',
      ),
    ).toContain('api_key="sk-plain")');
  });
});

const latin1 = (s: string) => Buffer.from(s, 'utf8').toString('latin1');

describe('edges each target must get right', () => {
  it('a "__proto__" header stays a header in fetch (an object literal key would set the prototype)', () => {
    expect(snip('fetch', { headers: [['__proto__', 'v']] })).toContain("    ['__proto__']: 'v',");
  });

  it('no headers, no body: nothing empty written', () => {
    expect(snip('fetch', { method: 'GET' })).toBe(
      "const url = 'http://127.0.0.1:8080/v1/thing';\nconst options = {\n  method: 'GET',\n};\n\nconst response = await fetch(url, options);\nconsole.log(await response.text());\n",
    );
    expect(snip('python', { method: 'GET' })).toBe(
      'import requests\n\nurl = "http://127.0.0.1:8080/v1/thing"\n\nresponse = requests.request("GET", url)\nprint(response.text)\n',
    );
  });

  it('a binary body: base64 in every target', () => {
    const bytes = '\xff\xfe\x00';
    const source = harFlow({
      request: { host: '127.0.0.1', port: 8080, scheme: 'http', headers: [['Host', 'h']] },
      requestBody: [Buffer.from(bytes, 'latin1'), 'application/octet-stream'],
    });
    const input = {
      exchange: source.exchange,
      request: harEntry(source).request as HarRequest,
      body: Buffer.from(bytes, 'latin1'),
      dialect: null,
    };
    expect(snippet(input, 'fetch')).toContain("  body: Buffer.from('//4A', 'base64'),");
    expect(snippet(input, 'python')).toMatch(
      /^import base64\n\nimport requests\n[^]*payload = base64\.b64decode\("\/\/4A"\)\n/,
    );
    expect(snippet(input, 'curl')).toMatch(/^printf %s '\/\/4A' \| base64 -d \| curl /);
  });

  it('repeated cookies join with "; ", other fields with ", "', () => {
    expect(
      snip('python', {
        headers: [
          ['Cookie', 'a=1'],
          ['cookie', 'b=2'],
          ['X-A', '1'],
          ['x-a', '2'],
        ],
      }),
    ).toContain('    "Cookie": "a=1; b=2",\n    "X-A": "1, 2",\n');
  });

  it('what the snippet computes itself is left out: framing, encodings, the host', () => {
    const code = snip('python', {
      headers: [
        ['Content-Encoding', 'gzip'],
        ['Accept-Encoding', 'br'],
        ['Content-Length', '3'],
        ['Transfer-Encoding', 'chunked'],
        ['Connection', 'close'],
        ['X-Kept', '1'],
      ],
    });
    expect(code).toContain('headers = {\n    "X-Kept": "1",\n}');
  });

  it('Basic credentials only when the whole value is masked Basic: a short user name still quoted with its variable', () => {
    expect(snip('curl', { headers: [['Authorization', 'Basic u:****']] })).toContain(
      `--user 'u:'"$WIRELOG_127_0_0_1_PASSWORD"''`,
    );
    expect(snip('python', { headers: [['Authorization', 'Basic u:****abcd']] })).toContain(
      '"Authorization": "Basic u:" + os.environ["WIRELOG_127_0_0_1_API_KEY"],',
    );
    expect(snip('python', { headers: [['Authorization', 'xBasic u:****']] })).toContain(
      '"Authorization": "xBasic u:" + os.environ["WIRELOG_127_0_0_1_API_KEY"],',
    );
    expect(snip('python', { headers: [['authorization', 'Basic u:****']] })).toContain(
      '"authorization": "Basic " + base64.b64encode(("u:" + os.environ["WIRELOG_127_0_0_1_PASSWORD"]).encode()).decode(),',
    );
    expect(snip('curl', { headers: [['authorization', 'Basic u:****']] })).toContain(
      `--user 'u:'"$WIRELOG_127_0_0_1_PASSWORD"''`,
    );
  });

  it('a % that starts no escape is encoded; a masked tail with an escape stays in the variable', () => {
    expect(snip('fetch', { path: '/a%4z%%41' })).toContain("const url = 'http://127.0.0.1:8080/a%254z%25%41';");
    expect(snip('fetch', { path: '/a?key=****%2Fab&x=1' })).toContain(
      "const url = 'http://127.0.0.1:8080/a?key=' + process.env.WIRELOG_127_0_0_1_API_KEY + '&x=1';",
    );
  });

  it('openai: a query parameter with an empty name, a key with extra spaces', () => {
    expect(snip('openai', { path: '/v1/chat/completions?=v' }, '{}', 'openai-chat')).toContain(
      'default_query={"": "v"}',
    );
    expect(
      snip(
        'openai',
        { path: '/v1/chat/completions', headers: [['Authorization', 'Bearer   ****abcd']] },
        '{}',
        'openai-chat',
      ),
    ).toContain('api_key=os.environ["WIRELOG_127_0_0_1_API_KEY"])');
    expect(
      snip('openai', { path: '/v1/chat/completions', headers: [['Authorization', 'xBearer k']] }, '{}', 'openai-chat'),
    ).toContain('api_key="YOUR_KEY", default_headers={"Authorization": "xBearer k"}');
  });
});

describe('keyVariable', () => {
  it.each(['api.x.com', 'www.x.io', 'gateway.x.net', 'x.ai', 'x.org', 'x.dev'])(
    '%s: generic labels skipped',
    (host) => {
      expect(keyVariable(host, 'authorization')).toBe('X_API_KEY');
    },
  );

  it('addresses, bracketed or not, are named after the address with WIRELOG_ in front', () => {
    for (const [host, name] of [
      ['127.0.0.1', 'WIRELOG_127_0_0_1_API_KEY'],
      ['[::1]', 'WIRELOG_IPV6_1_API_KEY'],
      ['::1', 'WIRELOG_IPV6_1_API_KEY'],
      ['[fe80::1]', 'WIRELOG_IPV6_FE80_1_API_KEY'],
      ['fe80::1', 'WIRELOG_IPV6_FE80_1_API_KEY'],
    ])
      expect(keyVariable(host, 'authorization')).toBe(name);
    expect(keyVariable('-a-.example', 'authorization')).toBe('A_API_KEY');
  });

  it('names a cookie variable apart, and makes an identifier of any host', () => {
    expect(keyVariable('api.anthropic.com', 'x-api-key')).toBe('ANTHROPIC_API_KEY');
    expect(keyVariable('www.example.com', 'Cookie')).toBe('EXAMPLE_COOKIE');
    expect(keyVariable('a--b.example', 'authorization')).toBe('A_B_API_KEY');
    expect(keyVariable('10.0.0.1', 'authorization')).toBe('WIRELOG_10_0_0_1_API_KEY');
    expect(keyVariable('中文.example', 'authorization')).toBe('XN_FIQ228C_API_KEY');
  });
});

describe('one variable per host: the snippet reads the key from the env_key codex-config names', () => {
  const body = '{"model":"m","input":"hi"}';
  it.each(['127.0.0.1', '::1', '1password.example', 'api.openrouter.ai', 'localhost', 'xn--80ak6aa92e.com'])(
    '%s',
    (host) => {
      const authority = host.includes(':') ? `[${host}]` : host;
      const source = harFlow({
        request: {
          host,
          port: 8080,
          scheme: 'http',
          path: '/v1/responses',
          headers: [
            ['Host', `${authority}:8080`],
            ['Authorization', 'Bearer ****abcd'],
          ],
        },
        requestBody: [body, 'application/json'],
        responseBody: [
          '{"id":"resp_1","object":"response","status":"completed","model":"m","output":[]}',
          'application/json',
        ],
      });
      const call = analyzeExchange({
        exchange: source.exchange,
        requestText: body,
        responseText: '{}',
        sseEvents: [],
        wsMessages: [],
      });
      const envKey = /^env_key = "([^"]*)"$/m.exec(codexConfig(source.exchange, call).toml)?.[1];
      const curl = snippet(
        {
          exchange: source.exchange,
          request: harEntry(source).request as HarRequest,
          body: Buffer.from(body),
          dialect: 'openai-responses',
        },
        'curl',
      );
      const variables = [...curl.matchAll(/"\$([A-Za-z0-9_]+)"/g)].map((m) => m[1]);
      expect(envKey).toMatch(SHELL_VARIABLE_NAME);
      expect(variables).toEqual([envKey]);
    },
  );
});
