// A model call's cost and where it comes from (llm/cost.ts callCost): the provider's own figure,
// an estimate marked ~ whose title names the price used and the table's date, or "price unknown"
// whose title says why. Dollar figures and the table's name read the same in every language.
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import type { CallCost, PriceUsed } from '../../../llm/cost.ts';

const small = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 });
const cents = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** Dollars as a user reads a call's cost: four decimals, or two significant digits below a cent (0.000096). */
export function formatUsd(usd: number): string {
  return usd !== 0 && Math.abs(usd) < 0.01 ? small.format(usd) : cents.format(usd);
}

function rate(value: number | null, noRate: string): string {
  return value === null ? noRate : String(value);
}

function estimatedTitle(price: PriceUsed, t: ReturnType<typeof useTranslation>['t']): string {
  const noRate = t('usage.badge.noRate');
  return t('usage.badge.estimatedTitle', {
    table: price.table,
    date: price.date,
    provider: price.provider,
    model: price.model,
    input: rate(price.inputPerMTok, noRate),
    output: rate(price.outputPerMTok, noRate),
    cacheRead: rate(price.cacheReadPerMTok, noRate),
    cacheWrite: rate(price.cacheWritePerMTok, noRate),
    tiered: price.tiered ? t('usage.badge.tiered') : '',
    interpolation: { escapeValue: false },
  });
}

/** The cost as text with its source in the title; `labelled`: "cost" before it (the Model call tab). */
export function CostBadge({ cost, labelled = false }: { cost: CallCost; labelled?: boolean }) {
  const { t } = useTranslation();
  return <CostBadgeIn cost={cost} labelled={labelled} t={t} />;
}

/** The badge with the caller's translation function: the list's rows (ExchangeRow.tsx) hold no hook of their own. */
export function CostBadgeIn({ cost, labelled = false, t }: { cost: CallCost; labelled?: boolean; t: TFunction }) {
  let text: string;
  let title: string;
  if (cost.source === 'provider') {
    text = t('usage.badge.provider', { usd: formatUsd(cost.usd) });
    title = t('usage.badge.providerTitle');
  } else if (cost.source === 'estimated') {
    text = t('usage.badge.estimated', { usd: formatUsd(cost.usd) });
    title = estimatedTitle(cost.price, t);
  } else {
    text = t('usage.badge.unknown');
    title = t(`usage.badge.why.${cost.why}`);
  }
  return (
    <span className={`cost-badge ${cost.source}`} title={title} data-testid="cost" data-source={cost.source}>
      {labelled && <span className="muted">{t('usage.badge.label')} </span>}
      {text}
    </span>
  );
}
