import { useTranslation } from 'react-i18next';
import type { Header } from '../../../model/exchange.ts';

/** Headers as they were on the wire: order and case kept; masked values arrive masked. */
export function HeadersTable({ headers }: { headers: Header[] }) {
  const { t } = useTranslation();
  if (headers.length === 0) return (
      <p className="muted" data-testid="no-headers">
        {t('headers.none')}
      </p>
    );
  return (
    <table className="headers" data-captured>
      <tbody>
        {headers.map(([name, value], i) => (
          <tr key={i}>
            <th>{name}</th>
            <td className="mono">{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
