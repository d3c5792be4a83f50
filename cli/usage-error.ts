/** A mistake in how wirelog was called: printed as one line, exit code 2. */
export class UsageError extends Error {}
