// A worker thread from one of wirelog's own modules, built or not: the built .js is started as
// it is; a .ts source (the tests, `npm run dev`) through tsx, registered in the worker first.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** `file`'s module on a thread of its own, with `options` (workerData, resourceLimits, transferList…). */
export function startModuleWorker(file: URL, options: WorkerOptions): Worker {
  if (!file.pathname.endsWith('.ts')) return new Worker(file, options);
  // The ESM build of tsx's API: its CommonJS build cannot register the loader from a worker.
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
