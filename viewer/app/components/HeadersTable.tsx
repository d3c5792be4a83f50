import { useTranslation } from 'react-i18next';
import type { Header } from '../../../model/exchange.ts';
import { CopyButton } from './CopyButton.tsx';

/** A header as one line of text, the way it is written on the wire and shown in the table's row. */
const headerLine = ([name, value]: Header) => `${name}: ${value}`;

/** Headers as they were on the wire: order and case kept; masked values arrive masked (and are copied masked). */
export function HeadersTable({ headers }: { headers: Header[] }) {
  const { t } = useTranslation();
  if (headers.length === 0)
    return (
      <p className="muted" data-testid="no-headers">
        {t('headers.none')}
      </p>
    );
  return (
    <div className="headers-block">
      <div className="headers-tools">
        <CopyButton
          text={headers.map(headerLine).join('\n')}
          label={t('viewerTools.copyHeaders')}
          title={t('viewerTools.copyHeadersTitle')}
          testId="copy-headers"
        />
      </div>
      <table className="headers" data-captured>
        <tbody>
          {headers.map((header, i) => (
            <tr key={i}>
              <th>{header[0]}</th>
              <td className="mono">{header[1]}</td>
              <td className="copy-cell">
                <CopyButton
                  text={headerLine(header)}
                  title={t('viewerTools.copyHeaderLine', { name: header[0] })}
                  className="button small copy-line"
                  testId="copy-header-line"
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
