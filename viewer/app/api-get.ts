// The few lines every API read shares, kept apart from api-client.ts so the start-up entry
// (first-page.ts) can ask for the list's first page without loading i18next and the app.
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

// A small first page shows the list fast; later pages are larger so long scrolls keep up.
const FIRST_PAGE = 200;
const NEXT_PAGES = 1000;

/** A page of the list (`filter`: api-client.ts ListFilter), its titles (diagnosis, recorded error, notes) in `lang`. */
export function exchangesUrl(
  filter: Record<string, string | number | undefined>,
  cursor: number | string | undefined,
  lang: string,
): string {
  return `/api/exchanges${query({ ...filter, limit: cursor === undefined ? FIRST_PAGE : NEXT_PAGES, cursor, lang })}`;
}
