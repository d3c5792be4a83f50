import { useTranslation } from 'react-i18next';
import type { ViewerStatus } from '../api-client.ts';

/** What the viewer must say above everything: capture failing or behind, export failing, what storage left out, errors, notices. */
export function StatusBanners({
  status,
  error,
  notice,
}: {
  status: ViewerStatus | null;
  error: string | null;
  notice: string | null;
}) {
  const { t } = useTranslation();
  const losses = status?.storageLosses;
  const damaged = status?.damagedRows;
  // The exchanges storage cut, newest first, each a link to its Response tab's account of what was kept.
  const cut = status?.cutBodies;
  return (
    <>
      {status?.storageError && (
        <div className="banner error" data-testid="failing-banner">
          {t('banners.failing', { error: status.storageError })}
          {status.storageWaiting > 0 && t('banners.waiting', { count: status.storageWaiting })}
        </div>
      )}
      {status?.storageBehind && (
        <div className="banner warn" data-testid="lag-banner">
          {t('banners.behind', { exchanges: status.storageBehind.exchanges, seconds: status.storageBehind.seconds })}
        </div>
      )}
      {status?.searchIndex && (
        <div className="banner warn" data-testid="search-index-banner">
          {t('searchIndex.status', { indexed: status.searchIndex.indexed, total: status.searchIndex.total })}
        </div>
      )}
      {status?.otlp?.error && (
        <div className="banner warn" data-testid="otlp-banner">
          {t('banners.otlp', { error: status.otlp.error })}
        </div>
      )}
      {losses && (losses.exchanges > 0 || losses.bytes > 0 || losses.events > 0) && (
        <div className="banner warn" data-testid="shed-banner">
          {t('banners.shed', { exchanges: losses.exchanges, events: losses.events, bytes: losses.bytes })}
        </div>
      )}
      {losses && losses.discarded > 0 && (
        <div className="banner warn" data-testid="discarded-banner">
          {t('banners.discarded', { count: losses.discarded })}
        </div>
      )}
      {losses && losses.bodies > 0 && (
        <div className="banner warn" data-testid="behind-banner">
          {t('banners.bodies', { count: losses.bodies })}
          {cut && cut.count > 0 && (
            <span data-testid="cut-links">
              {' '}
              {t('bigBody.cutIds')}
              {cut.ids.map((id) => (
                <a key={id} className="cut-link" href={`/exchanges/${id}`}>
                  #{id}
                </a>
              ))}
              {cut.count > cut.ids.length && ' …'}
            </span>
          )}
        </div>
      )}
      {damaged && damaged.count > 0 && (
        <div className="banner error" data-testid="damaged-banner">
          {t('banners.damaged', {
            count: damaged.count,
            ids: `${damaged.ids.map((id) => `#${id}`).join(', ')}${damaged.count > damaged.ids.length ? ', …' : ''}`,
            example: damaged.example,
          })}
        </div>
      )}
      {error && <div className="banner error">{error}</div>}
      {notice && (
        <div className="banner" data-testid="notice">
          {notice}
        </div>
      )}
    </>
  );
}
