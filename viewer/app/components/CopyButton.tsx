import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';

interface Props {
  /** Exactly what lands on the clipboard: the text the screen shows beside the button. */
  text: string;
  /** The button's words (default: "Copy"). */
  label?: string;
  title?: string;
  className?: string;
  testId?: string;
}

const SHOWN_COPIED_MS = 1200;

/**
 * Copies a text and says so for a moment; when the browser refuses the clipboard (no permission,
 * not a secure page) the button says that instead of failing without a word.
 */
export function CopyButton({ text, label, title, className = 'button small', testId }: Props) {
  const { t } = useTranslation();
  const [state, setState] = useState<'idle' | 'copied' | 'refused'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const timer = setTimeout(() => setState('idle'), SHOWN_COPIED_MS);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = () => {
    if (!navigator.clipboard) return setState('refused');
    navigator.clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('refused'),
    );
  };
  return (
    <button
      type="button"
      className={className}
      title={state === 'refused' ? t('viewerTools.copyFailed') : title}
      data-testid={testId}
      onClick={copy}
    >
      {state === 'copied'
        ? t('viewerTools.copied')
        : state === 'refused'
          ? t('viewerTools.copyFailed')
          : (label ?? t('viewerTools.copy'))}
    </button>
  );
}
