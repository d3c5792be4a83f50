// wirelog's command line: one line per mistake, the command's own exit code for `run`.
import { CaError } from './certs/ca.ts';
import { DataDirError } from './certs/safe-files.ts';
import { DatabaseOpenError } from './db/schema.ts';
import { UsageError } from './cli/args.ts';
import { StartError } from './cli/instance.ts';
import { RUN_HELP, runCommand } from './cli/run.ts';
import { START_HELP, startCommand } from './cli/start.ts';
import { CA_HELP, ENV_HELP, EXPORT_HELP, LIST_HELP, URL_HELP, caCommand, envCommand, exportCommand, listCommand, urlCommand } from './cli/tools.ts';
import { VERSION } from './cli/version.ts';
import { DOCTOR_HELP, doctorCommand } from './cli/doctor.ts';
import { CODEX_CONFIG_HELP, codexConfigCommand } from './cli/codex-config.ts';
import { REPLAY_HELP, replayCommand } from './cli/replay.ts';
import { IMPORT_HELP, importCommand } from './cli/import.ts';
import { t, takeLanguageFlag } from './cli/language.ts';

const COMMANDS: Record<string, { help: string; run: (args: string[]) => number | Promise<number> }> = {
  start: { help: START_HELP, run: startCommand },
  run: { help: RUN_HELP, run: runCommand },
  env: { help: ENV_HELP, run: envCommand },
  url: { help: URL_HELP, run: urlCommand },
  ca: { help: CA_HELP, run: caCommand },
  list: { help: LIST_HELP, run: listCommand },
  export: { help: EXPORT_HELP, run: exportCommand },
  doctor: { help: DOCTOR_HELP, run: doctorCommand },
  replay: { help: REPLAY_HELP, run: replayCommand },
  import: { help: IMPORT_HELP, run: importCommand },
  'codex-config': { help: CODEX_CONFIG_HELP, run: codexConfigCommand },
};

// http-mitm-proxy prints its internals through console.debug; they are not for our users.
if (!process.env.WIRELOG_DEBUG) console.debug = () => undefined;

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
  const command = COMMANDS[name];
  if (!command) throw new UsageError(t('cli.unknownCommand', { name, commands: Object.keys(COMMANDS).join(', ') }));
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
  Promise.all(pending.map((stream) => new Promise((flushed) => stream.write('', flushed)))).then(() => process.exit(code));
}

for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv.slice(2)).then(exitWhenFlushed, (err: Error) => {
  const known = err instanceof UsageError || err instanceof StartError || err instanceof DatabaseOpenError || err instanceof CaError || err instanceof DataDirError;
  console.error(`wirelog: ${known ? err.message : (err.stack ?? err.message)}`);
  exitWhenFlushed(err instanceof UsageError ? 2 : 1);
});
