// Which session page the path names, read apart from session-data.ts (and React) so the start-up
// entry knows whether the list is what opens, before the app's code has loaded.

/** The session the path names: undefined off the session pages, '' for the list of recent sessions. */
export function sessionFromLocation(): string | undefined {
  const m = /^\/sessions(?:\/([^/]+))?\/?$/.exec(window.location.pathname);
  return m ? decodeURIComponent(m[1] ?? '') : undefined;
}
