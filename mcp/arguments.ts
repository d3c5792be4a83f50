// Arguments several tools share, checked the same way everywhere: a call id, a time, a status.
import { z } from 'zod';
import { statusRange } from '../model/exchange.ts';
import { t } from '../cli/language.ts';
import { ToolError } from './tool.ts';

export const callId = z.number().int().positive().describe('A call id, as list_calls gives it');

/**
 * Epoch ms of an ISO date or time: a date alone is local midnight (as `wirelog usage --since`).
 * Free forms Date.parse would guess at ("yesterday") are refused.
 */
export function sinceMs(value: string): number {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(dateOnly ? `${value}T00:00:00` : value) : NaN;
  if (Number.isNaN(ms)) throw new ToolError(t('mcp.errors.since', { value }));
  return ms;
}

/** A status filter the reader understands: "404" or "4xx". */
export function statusFilter(value: string): string {
  if (!statusRange(value)) throw new ToolError(t('mcp.errors.status', { value }));
  return value;
}
