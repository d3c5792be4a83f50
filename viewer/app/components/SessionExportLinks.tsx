// "Export" on a session's page (issue 27): the session as one HTML page that opens offline, or as
// a Markdown transcript, downloaded from the session API (viewer/session-export-api.ts) in the
// viewer's language. Plain links: the browser downloads them, nothing is held in the page.
import { useTranslation } from 'react-i18next';

const exportUrl = (key: string, format: 'html' | 'markdown', lang: string) =>
  `/api/sessions/${encodeURIComponent(key)}/export?format=${format}&lang=${encodeURIComponent(lang)}`;

export function SessionExportLinks({ sessionKey }: { sessionKey: string }) {
  const { t, i18n } = useTranslation();
  return (
    <span className="session-export" data-testid="session-export">
      <span className="muted">{t('sessionExport.viewer.download')}</span>{' '}
      <a
        className="button small"
        href={exportUrl(sessionKey, 'html', i18n.language)}
        download
        title={t('sessionExport.viewer.htmlHint')}
        data-testid="export-html"
      >
        {t('sessionExport.viewer.html')}
      </a>{' '}
      <a
        className="button small"
        href={exportUrl(sessionKey, 'markdown', i18n.language)}
        download
        title={t('sessionExport.viewer.markdownHint')}
        data-testid="export-markdown"
      >
        {t('sessionExport.viewer.markdown')}
      </a>
    </span>
  );
}
