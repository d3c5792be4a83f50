/** wirelog could not start as asked (a port in use, a host it cannot listen on): one line, exit code 1. Apart from cli/instance.ts so that cli.ts can name it without loading the proxy. */
export class StartError extends Error {}
