import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';
import { expect } from 'vitest';

/**
 * Setup file of the unit tier (vitest.config.ts): a unit test starts no server, process or
 * connection, which is what keeps the tier to seconds on a busy machine. support/tiers.ts
 * decides a file's tier from its imports; if it misreads one, the first socket or process
 * fails here with the rule and the fix, instead of the file slowing the tier down unseen.
 */
function refuse(what: string): never {
  const file = expect.getState().testPath ?? 'a unit test';
  throw new Error(
    `${file} ${what}, so it is not a unit test: import what starts it (startHarness, runCli, node:net, ...) where test/support/tiers.ts sees it, and it runs in the integration tier`,
  );
}

net.Server.prototype.listen = (() => {
  refuse('opens a listening socket');
}) as typeof net.Server.prototype.listen;
net.Socket.prototype.connect = (() => {
  refuse('opens a connection');
}) as typeof net.Socket.prototype.connect;
for (const name of ['spawn', 'spawnSync', 'execFile', 'execFileSync', 'exec', 'execSync', 'fork'] as const) {
  (childProcess as unknown as Record<string, unknown>)[name] = () => refuse(`starts a process (child_process.${name})`);
}
syncBuiltinESMExports();
