import { useTranslation } from 'react-i18next';
import type { AgentStep, Citation } from '../../../llm/agent-steps.ts';
import type { Answer } from '../../../llm/model-call.ts';
import { tryJson } from '../format.ts';
import { JsonTree } from './JsonTree.tsx';

/** What went in or came out of a step: a JSON tree when it is JSON, else the text as sent. */
function StepField({ label, text, testId }: { label: string; text: string; testId: string }) {
  const value = tryJson(text);
  return (
    <div className="step-field" data-testid={testId}>
      <div className="muted">{label}</div>
      {value !== undefined && typeof value === 'object' && value !== null ? (
        <JsonTree value={value} openDepth={3} />
      ) : (
        <pre className="mono" data-captured>
          {text}
        </pre>
      )}
    </div>
  );
}

/** One tool the provider ran (or asks to run): what it is, on which MCP server, its input and its result. */
function StepBox({ step }: { step: AgentStep }) {
  const { t } = useTranslation();
  return (
    <li className="tool-call agent-step" data-testid="agent-step" data-kind={step.kind}>
      <div className="tool-call-head">
        <span className="step-kind">{t(`agent.kind.${step.kind}`)}</span>
        {step.name && (
          <span className="tool-name mono" data-captured>
            {step.name}
          </span>
        )}
        {step.server && (
          <span className="muted">
            {t('agent.server')}{' '}
            <span className="mono" data-captured data-testid="step-server">
              {step.server}
            </span>
          </span>
        )}
        {step.status && (
          <span className="muted mono" data-captured>
            {step.status}
          </span>
        )}
        {step.id && (
          <span className="muted mono" data-captured>
            {step.id}
          </span>
        )}
      </div>
      {step.input && <StepField label={t('agent.input')} text={step.input} testId="step-input" />}
      {step.output !== null ? (
        <StepField label={t('agent.output')} text={step.output} testId="step-output" />
      ) : (
        <p className="muted">{t(step.kind === 'mcp-approval' ? 'agent.notRun' : 'agent.noResult')}</p>
      )}
      {step.error && (
        <div className="banner error">
          {t('agent.error')} <span data-captured>{step.error}</span>
        </div>
      )}
    </li>
  );
}

/** Each source the answer cites, with the text it supports (or the whole answer, when the provider did not say). */
function Citations({ citations }: { citations: Citation[] }) {
  const { t } = useTranslation();
  return (
    <details className="citations" data-testid="citations" open>
      <summary>{t('agent.citations', { count: citations.length })}</summary>
      <ol>
        {citations.map((c, i) => (
          <li key={i} data-testid="citation">
            <span className="mono" data-captured>
              {c.title ? `${c.title} · ${c.source}` : c.source}
            </span>
            <div className="muted">
              {t('agent.supports')}{' '}
              {c.text ? (
                <q data-captured data-testid="cited-text">
                  {c.text}
                </q>
              ) : (
                t('agent.wholeAnswer')
              )}
            </div>
          </li>
        ))}
      </ol>
    </details>
  );
}

/**
 * The agent loop inside one answer: the provider's own tool steps in order (an approval request
 * shown as the model waiting for the user), the sources cited, thinking sent encrypted, and why
 * it stopped when the provider explained. Nothing when the answer has none of these. `history`:
 * a turn sent back in the conversation, whose approval requests were already answered.
 */
export function AgentSteps({
  answer,
  history = false,
}: {
  answer: Pick<Answer, 'steps' | 'citations' | 'redactedThinking' | 'stopDetails'>;
  history?: boolean;
}) {
  const { t } = useTranslation();
  const steps = answer.steps ?? [];
  const waiting = history ? 0 : steps.filter((s) => s.kind === 'mcp-approval').length;
  return (
    <>
      {answer.stopDetails && (
        <div className="banner warn" data-testid="stop-details">
          {t('agent.stopDetails')} <span data-captured>{answer.stopDetails}</span>
        </div>
      )}
      {answer.redactedThinking ? (
        <p className="muted" data-testid="redacted-thinking">
          {t('agent.redacted', { count: answer.redactedThinking })}
        </p>
      ) : null}
      {waiting > 0 && (
        <div className="banner warn" data-testid="awaiting-approval">
          {t('agent.waiting', { count: waiting })}
        </div>
      )}
      {steps.length > 0 && (
        // The steps in the order the provider ran them: a list, named by how many there are.
        <ol className="agent-steps" data-testid="agent-steps" aria-label={t('agent.steps', { count: steps.length })}>
          {steps.map((step, i) => (
            <StepBox key={i} step={step} />
          ))}
        </ol>
      )}
      {answer.citations?.length ? <Citations citations={answer.citations} /> : null}
    </>
  );
}
