// What storage left out of one exchange to bound memory (db/backlog.ts), said in the exchange's
// notes; the analysis (llm/diagnose.ts) reads the same note to know its evidence is incomplete:
// events missing from the record were forwarded to the client, not cut by the upstream.

/** What was left out of one exchange's record. */
export interface ShedCounts {
  sseEvents: number;
  wsMessages: number;
  /** Body bytes, both sides. */
  bodyBytes: number;
  /** Bytes of the SSE events and WebSocket messages left out. */
  eventBytes: number;
}

const MARK = 'storage left out ';

/** One note line: counts only of what was left out, and why (storage behind, or failing). */
export function shedNote(shed: ShedCounts, cause: string): string {
  const parts: string[] = [];
  if (shed.sseEvents) parts.push(`${shed.sseEvents} SSE event(s)`);
  if (shed.wsMessages) parts.push(`${shed.wsMessages} WebSocket message(s)`);
  if (shed.sseEvents || shed.wsMessages) parts[parts.length - 1] += ` (${shed.eventBytes} bytes)`;
  if (shed.bodyBytes) parts.push(`${shed.bodyBytes} body byte(s)`);
  return `${MARK}${parts.join(', ')} of this exchange because ${cause}; the client got them all (the record is incomplete, not the traffic)`;
}

/** Whether the notes say storage left out some of the exchange's SSE events or WebSocket messages. */
export function eventsShed(notes: readonly string[] | undefined): boolean {
  return !!notes?.some(
    (note) => note.startsWith(MARK) && /^storage left out [^;]*\b(SSE event|WebSocket message)/.test(note),
  );
}
