// wirelog's command line: one line per mistake, the command's own exit code for `run`.
import { CaError } from './certs/ca-error.ts';
import { DataDirError } from './certs/safe-files.ts';
import { DatabaseOpenError } from './db/schema.ts';
import { UsageError } from './cli/args.ts';
import { StartError } from './cli/start-error.ts';
import { VERSION } from './cli/version.ts';
import { cliLang, t, takeLanguageFlag } from './cli/language.ts';
import { PhraseError, phraseText } from './i18n/stored-text.ts';

interface Command {
  help: string;
  run: (args: string[]) => number | Promise<number>;
}

// Each command's module is loaded when it runs: `start` then does not load what only the
// other commands use (HAR export, doctor, replay, import) before it listens (issue 24: restart
// to listening within 2 s on a busy machine, where loading modules is most of a start).
const tools = () => import('./cli/tools.ts');
const COMMANDS: Record<string, () => Promise<Command>> = {
  start: () => import('./cli/start.ts').then((m) => ({ help: m.startHelp(), run: m.startCommand })),
  run: () => import('./cli/run.ts').then((m) => ({ help: m.runHelp(), run: m.runCommand })),
  env: () => tools().then((m) => ({ help: m.envHelp(), run: m.envCommand })),
  url: () => tools().then((m) => ({ help: m.urlHelp(), run: m.urlCommand })),
  ca: () => tools().then((m) => ({ help: m.caHelp(), run: m.caCommand })),
  list: () => tools().then((m) => ({ help: m.listHelp(), run: m.listCommand })),
  export: () => tools().then((m) => ({ help: m.exportHelp(), run: m.exportCommand })),
  doctor: () => import('./cli/doctor.ts').then((m) => ({ help: m.doctorHelp(), run: m.doctorCommand })),
  replay: () => import('./cli/replay.ts').then((m) => ({ help: m.replayHelp(), run: m.replayCommand })),
  import: () => import('./cli/import.ts').then((m) => ({ help: m.importHelp(), run: m.importCommand })),
  'codex-config': () =>
    import('./cli/codex-config.ts').then((m) => ({ help: m.codexConfigHelp(), run: m.codexConfigCommand })),
  usage: () => import('./cli/usage.ts').then((m) => ({ help: m.usageHelp(), run: m.usageCommand })),
  mcp: () => import('./cli/mcp.ts').then((m) => ({ help: m.mcpHelp(), run: m.mcpCommand })),
};

// http-mitm-proxy prints its internals through console.debug; they are not for our users.
if (!process.env.WIRELOG_DEBUG) console.debug = () => undefined;

/**
 * What a first word that is no command most likely meant: an agent to start under `wirelog run --`
 * (`wirelog codex exec "hi"`), a command misspelt (`strat`), or the list of commands.
 */
async function unknownCommand(name: string, rest: string[]): Promise<string> {
  const [{ recogniseAgent }, { shellWord }, { closestName }] = await Promise.all([
    import('./cli/agents.ts'),
    import('./mcp/print-config.ts'),
    import('./cli/closest-name.ts'),
  ]);
  if (recogniseAgent([name, ...rest]))
    return t('commands.command.agent', { name, command: [name, ...rest].map(shellWord).join(' ') });
  const suggestion = closestName(name, Object.keys(COMMANDS));
  return suggestion
    ? t('commands.command.suggest', { name, suggestion })
    : t('cli.unknownCommand', { name, commands: Object.keys(COMMANDS).join(', ') });
}

async function main(given: string[]): Promise<number> {
  const argv = takeLanguageFlag(given);
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h' || first === 'help') {
    console.log(t('cli.usage', { version: VERSION }));
    return 0;
  }
  if (first === '--version' || first === '-v') {
    console.log(VERSION);
    return 0;
  }
  const named = first !== undefined && !first.startsWith('-');
  const name = named ? first : 'start';
  const load = COMMANDS[name];
  if (!load) throw new UsageError(await unknownCommand(name, rest));
  const command = await load();
  const args = named ? rest : argv;
  if (name !== 'run' && (args.includes('--help') || args.includes('-h'))) {
    console.log(command.help);
    return 0;
  }
  if (name === 'run' && (args[0] === '--help' || args[0] === '-h')) {
    console.log(command.help);
    return 0;
  }
  return command.run(args);
}

/**
 * Exits once what was printed has reached the pipe: process.exit() would cut piped output past
 * the pipe's 64 KB. A reader that went away (`| head`) ends the command quietly.
 */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  const pending = [process.stdout, process.stderr].filter((stream) => stream.writableLength > 0);
  Promise.all(pending.map((stream) => new Promise((flushed) => stream.write('', flushed)))).then(() =>
    process.exit(code),
  );
}

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(exitWhenFlushed, (err: Error) => {
  const known =
    err instanceof UsageError ||
    err instanceof StartError ||
    err instanceof DatabaseOpenError ||
    err instanceof CaError ||
    err instanceof DataDirError;
  // A phrase (the data dir's files, the CA, the database) in the CLI's language; its message is the English.
  console.error(
    `wirelog: ${err instanceof PhraseError ? phraseText(err.phrase, cliLang()) : known ? err.message : (err.stack ?? err.message)}`,
  );
  exitWhenFlushed(err instanceof UsageError ? 2 : 1);
});
