import { useEffect, useRef, useState } from 'react';
import { Trans, useTranslation } from 'react-i18next';
import type { ModelImage } from '../../../llm/model-call.ts';
import { formatSize } from '../format.ts';
import { imageBytes, type MissingImage } from '../image-data.ts';

/** Where an image sits in the call, in words: its message, choice or output item, its part, its event. */
function Where({ image }: { image: ModelImage }) {
  const { t } = useTranslation();
  const { locator } = image;
  const where = [t(`images.holder.${image.holder}`, { index: image.index })];
  if (image.part !== null) where.push(t('images.part', { part: image.part }));
  if (locator.source === 'sse-event') where.push(t('images.event', { seq: locator.seq }));
  if (locator.source === 'ws-message') where.push(t('images.message', { seq: locator.seq }));
  if (image.partial !== undefined) where.push(t('images.partial', { index: image.partial }));
  if (image.thought) where.push(t('images.thought'));
  return <>{where.join(' · ')}</>;
}

type Decoded = { url: string } | { missing: MissingImage } | { failed: string } | null;

/** The prompt the provider drew the image from, when it rewrote the one asked (DALL·E 3's revised_prompt). */
function RevisedPrompt({ image }: { image: ModelImage }) {
  const { t } = useTranslation();
  if (!image.revisedPrompt) return null;
  return (
    <>
      {' · '}
      <Trans
        t={t}
        i18nKey="images.revisedPrompt"
        components={{ prompt: <span data-captured>{image.revisedPrompt}</span> }}
      />
    </>
  );
}

/**
 * An image returned as a link (the Images API's `url`): a link the user may follow, in a new tab
 * and without a referrer. No <img> is made of it: wirelog and its page never fetch it.
 */
function ImageLink({ image, url }: { image: ModelImage; url: string }) {
  const { t } = useTranslation();
  return (
    <figure className="image-thumb" data-testid="image-link" data-side={image.side} style={{ margin: '4px 0' }}>
      <a href={url} target="_blank" rel="noopener noreferrer" referrerPolicy="no-referrer">
        {t('images.link')}
      </a>
      <figcaption className="muted">
        <span className="mono" data-captured>
          {url}
        </span>
        {' · '}
        {t('images.linkNote')} · <Where image={image} />
        <RevisedPrompt image={image} />
      </figcaption>
    </figure>
  );
}

/**
 * One image of a model call: a thumbnail that opens full size in a dialog, or a link when the
 * provider returned only its URL.
 */
export function ImageThumb({ image }: { image: ModelImage }) {
  return image.url ? <ImageLink image={image} url={image.url} /> : <ImageData image={image} />;
}

/**
 * An image whose bytes are stored: read from the stored body or event and shown through an
 * object URL (a Blob typed by what its bytes are, never by what the provider declared); the page
 * is never navigated to it.
 */
function ImageData({ image }: { image: ModelImage }) {
  const { t } = useTranslation();
  const [decoded, setDecoded] = useState<Decoded>(null);
  const dialog = useRef<HTMLDialogElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const type = image.mediaType ?? image.declaredType ?? '?';
  const size = formatSize(image.bytes);

  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by where the image is (its locator's values), not by the locator object: every read of the call builds new objects for the same image, and decoding again would revoke the URL the thumbnail and the dialog show.
  useEffect(() => {
    let url: string | null = null;
    let cancelled = false;
    imageBytes(image.locator).then(
      (found) => {
        if (cancelled) return;
        if ('missing' in found) return setDecoded(found);
        // Only a type its bytes were recognised as is shown; anything else is offered as a download.
        url = URL.createObjectURL(
          new Blob([found.bytes as Uint8Array<ArrayBuffer>], { type: image.mediaType ?? 'application/octet-stream' }),
        );
        setDecoded({ url });
      },
      (err: Error) => !cancelled && setDecoded({ failed: err.message }),
    );
    return () => {
      cancelled = true;
      if (url) URL.revokeObjectURL(url);
    };
  }, [
    image.locator.exchangeId,
    image.locator.source,
    image.locator.seq,
    image.locator.path.join('\u0000'),
    image.mediaType,
  ]);

  const extension = (image.mediaType ?? 'application/octet-stream').split('/')[1].replace('octet-stream', 'bin');
  const fileName = `wirelog-${image.locator.exchangeId}-${image.side}-${image.index}${image.part !== null ? `-${image.part}` : ''}.${extension}`;
  const shown = decoded && 'url' in decoded && image.mediaType;
  return (
    <figure
      className="image-thumb"
      data-testid="image-thumb"
      data-side={image.side}
      data-media-type={image.mediaType ?? ''}
      style={{ display: 'inline-block', margin: '4px 8px 4px 0', verticalAlign: 'top', maxWidth: 200 }}
    >
      {shown ? (
        <button
          type="button"
          className="image-open"
          aria-label={t('images.open', { type, size })}
          title={t('images.open', { type, size })}
          onClick={() => {
            dialog.current?.showModal();
            // The focus moves into the dialog, onto Close. autoFocus would not do it: React focuses on
            // mount, while the dialog is still shut, and showModal then picks the first link.
            closeButton.current?.focus();
          }}
          style={{ padding: 0, border: '1px solid #8884', background: 'none', cursor: 'zoom-in' }}
        >
          <img
            src={decoded.url}
            alt={t('images.alt', { type, size })}
            style={{ display: 'block', maxWidth: 160, maxHeight: 160 }}
          />
        </button>
      ) : decoded && 'missing' in decoded ? (
        <div className="banner warn" data-testid="image-missing">
          {t('images.missing', { why: t(`images.why.${decoded.missing}`) })}
        </div>
      ) : decoded && 'failed' in decoded ? (
        <div className="banner error" data-testid="image-missing">
          <Trans
            t={t}
            i18nKey="images.readFailed"
            components={{ error: <span className="recorded-error">{decoded.failed}</span> }}
          />
        </div>
      ) : decoded ? (
        <p className="muted">{t('images.unknownType')}</p>
      ) : (
        <p className="muted">{t('images.decoding')}</p>
      )}
      <figcaption className="muted">
        <span translate="no">{type}</span> · {size} · <Where image={image} />
        {image.declaredType && image.mediaType && image.declaredType.toLowerCase() !== image.mediaType && (
          <>
            {' · '}
            <Trans
              t={t}
              i18nKey="images.declared"
              components={{ type: <span data-captured>{image.declaredType}</span> }}
            />
          </>
        )}
        <RevisedPrompt image={image} />
        {decoded && 'url' in decoded && (
          <>
            {' · '}
            <a href={decoded.url} download={fileName}>
              {t('images.download')}
            </a>
          </>
        )}
      </figcaption>
      {shown && (
        <dialog
          ref={dialog}
          className="image-full"
          data-testid="image-full"
          aria-label={t('images.alt', { type, size })}
          // A click beside the image (on the backdrop) closes it; from the keyboard, Escape. Escape is
          // taken here, so that it closes the image and not the detail pane behind it (useEscapeCloses).
          onClick={(e) => e.target === dialog.current && dialog.current.close()}
          onKeyDown={(e) => {
            if (e.key !== 'Escape') return;
            e.preventDefault();
            dialog.current?.close();
          }}
          style={{ position: 'fixed', inset: 0, margin: 'auto', maxWidth: '95vw', maxHeight: '95vh', padding: 8 }}
        >
          <div style={{ display: 'flex', gap: 8, justifyContent: 'flex-end', marginBottom: 8 }}>
            <a className="button small" href={decoded.url} download={fileName}>
              {t('images.download')}
            </a>
            <button type="button" className="button small" ref={closeButton} onClick={() => dialog.current?.close()}>
              {t('images.close')}
            </button>
          </div>
          <img
            src={decoded.url}
            alt={t('images.alt', { type, size })}
            style={{ display: 'block', maxWidth: '90vw', maxHeight: '85vh' }}
          />
        </dialog>
      )}
    </figure>
  );
}
