// The list's filters as the API takes them (?host=&method=&status=&state=&q=&model=&dialect=&thread=),
// shared by the list (/api/exchanges) and the export (/api/export.har).
import { z } from 'zod';
import { SORT_COLUMNS, parseSortCursor, type SortKey } from '../../db/reader.ts';
import { EXCHANGE_STATES, statusRange, type ExchangeState } from '../../model/exchange.ts';

const filterFields = {
  host: z.string().min(1).optional(),
  method: z
    .string()
    .regex(/^[A-Za-z]+$/, 'fixMethod')
    .optional(),
  status: z
    .string()
    .refine((s) => statusRange(s) !== null, 'fixStatus')
    .optional(),
  state: z.enum(EXCHANGE_STATES as [ExchangeState, ...ExchangeState[]]).optional(),
  q: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  dialect: z
    .string()
    .regex(/^[a-z-]+$/, 'fixDialect')
    .optional(),
  thread: z.string().min(1).max(200).optional(),
};

export const listQuery = z
  .object({
    ...filterFields,
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    /** Newest first: the last id of the previous page. Sorted by a figure: VALUE_ID of its last row (nextCursor). */
    cursor: z.string().optional(),
    sort: z.enum(Object.keys(SORT_COLUMNS) as [SortKey, ...SortKey[]]).optional(),
  })
  .refine((q) => q.cursor === undefined || (q.sort ? parseSortCursor(q.cursor) !== null : /^\d+$/.test(q.cursor)), {
    path: ['cursor'],
    message: 'fixCursor',
  });

export const exportQuery = z.object({
  ...filterFields,
  id: z.coerce.number().int().positive().optional(),
  since: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'fixSince')
    .optional(),
});

type FilterFields = z.infer<z.ZodObject<typeof filterFields>>;

/** The reader's filter for the fields asked (`q` is the text searched). */
export function filterOf(q: FilterFields) {
  return {
    host: q.host,
    method: q.method,
    status: q.status,
    state: q.state,
    model: q.model,
    dialect: q.dialect,
    thread: q.thread,
    text: q.q,
  };
}
