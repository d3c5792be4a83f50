// diagnose: wirelog doctor's findings for one call or the last N, retries of one failure grouped
// (llm/doctor-groups.ts), each said in the CLI's language with its fix, and for a failed call how
// the last call that worked differs (cli/doctor.ts).
import { z } from 'zod';
import type { ExchangeReader } from '../db/reader.ts';
import { differenceFromWorking } from '../cli/doctor.ts';
import { cliLang, t } from '../cli/language.ts';
import type { Diagnosis } from '../llm/diagnose.ts';
import { renderDiagnosis } from '../llm/diagnosis-text.ts';
import { groupDiagnoses, idRange } from '../llm/doctor-groups.ts';
import type { ModelCall } from '../llm/model-call.ts';
import { diagnosesOf, modelCallOf } from '../llm/stored-calls.ts';
import type { Exchange } from '../model/exchange.ts';
import { callId } from './arguments.ts';
import { ToolError, tool } from './tool.ts';

/** A diagnosis as the agent passes it on: severity, what is wrong and the fix, in the CLI's language. */
function said(d: Diagnosis) {
  const text = d.message ? renderDiagnosis(d.message, cliLang()) : { summary: d.summary, fix: d.fix };
  return {
    rule: d.rule,
    severity: d.severity,
    summary: text.summary,
    fix: text.fix,
    ...(d.action ? { fixAction: d.action } : {}),
  };
}

/** An exchange's diagnoses, said. Diagnosed in English so that retries group by the same text. */
export function diagnosesIn(reader: ExchangeReader, exchange: Exchange, call: ModelCall | null) {
  return diagnosesOf(reader, exchange, call).map(said);
}

export const diagnose = tool({
  name: 'diagnose',
  description:
    "Say what went wrong in captured calls and the exact fix (wirelog doctor): for one call (id), or for the last N calls (last, default 20). A client's retries of one failure are one entry with their ids. For a failed call it also says how the last call to the same host that worked differs. Use it for questions like 'why did my last call fail?'.",
  input: z.object({
    id: callId.optional().describe('Diagnose just this call'),
    last: z.number().int().min(1).max(500).default(20).describe('Otherwise the last N calls, 1 to 500 (default 20)'),
  }),
  run({ id, last }, { database }) {
    const { reader } = database.open();
    return database.read(() => {
      const read = id === undefined ? reader.list({ limit: last }) : [reader.get(id)].filter((e) => e !== null);
      if (id !== undefined && read.length === 0) throw new ToolError(t('mcp.errors.noExchange', { id }));
      const damaged = read.filter((e) => e.damaged);
      if (id !== undefined && damaged.length)
        throw new ToolError(t('mcp.errors.damagedDiagnosed', { id, reasons: damaged[0].damaged!.join('; ') }));
      const items = read
        .filter((e) => !e.damaged)
        .map((exchange) => ({ exchange, diagnoses: diagnosesOf(reader, exchange, modelCallOf(reader, exchange)) }));
      const groups = groupDiagnoses(items).map((g) => {
        const difference = differenceFromWorking(reader, g.ids[g.ids.length - 1]);
        return {
          calls: idRange(g.ids),
          ids: g.ids,
          request: `${g.method} ${g.url}`,
          status: g.status,
          ...(g.client ? { client: g.client } : {}),
          first: new Date(g.first).toISOString(),
          last: new Date(g.last).toISOString(),
          diagnoses: g.diagnoses.map(said),
          ...(difference ? { comparedWithLastWorking: difference } : {}),
        };
      });
      return {
        looked: id === undefined ? `the last ${read.length} call(s)` : `call #${id}`,
        problems: groups,
        ...(damaged.length ? { damaged: damaged.map((e) => ({ id: e.id, reasons: e.damaged })) } : {}),
      };
    });
  },
});
