// `wirelog ca --install|--uninstall [--nss] [--java]`: certs/install.ts plans and runs; this
// says what happened to each store, in the CLI's language, and gives the exit code.
import { commandLine, planTrust, runTrust, thisHost, type StorePlan, type TrustAction } from '../certs/install.ts';
import { t } from './language.ts';

function storeName(plan: StorePlan): string {
  return t(`trust.store.${plan.store}`, { place: plan.place });
}

/** 0 when every store asked for holds (or no longer holds) the CA; 1 when one could not be changed, each said why. */
export function caInstall(
  action: TrustAction,
  certPath: string,
  stores: { nss: boolean; java: boolean },
  env: NodeJS.ProcessEnv = process.env,
): number {
  const plans = planTrust(action, certPath, stores, thisHost(env));
  const outcomes = runTrust(plans, (line) => console.log(line), env);
  let failed = false;
  for (const outcome of outcomes) {
    const store = storeName(outcome.plan);
    if (outcome.done) {
      console.log(t(`trust.done.${action}`, { store }));
      continue;
    }
    const skipped = outcome.plan.skipped;
    if (skipped?.reason === 'absent') {
      console.log(t('trust.skip.absent', { store }));
      continue;
    }
    failed = true;
    if (outcome.failed) {
      const why = outcome.failed.error ?? t('trust.exit', { status: String(outcome.failed.status) });
      console.error(`wirelog: ${t('trust.failed', { store, command: commandLine(outcome.failed.command), why })}`);
    } else if (skipped) {
      console.error(`wirelog: ${t(`trust.skip.${skipped.reason}`, { store, ...skipped.params })}`);
      // What the user runs instead, quoted for the shell.
      for (const command of outcome.plan.commands) console.error(`  ${commandLine(command)}`);
    }
  }
  return failed ? 1 : 0;
}
