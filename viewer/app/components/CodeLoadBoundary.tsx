import { Component, type ReactNode } from 'react';
import { CodeNotLoaded } from '../code-load.ts';
import { i18n } from '../i18n.ts';

interface State {
  error: unknown;
}

/** Around a lazily loaded part of the viewer: a chunk that did not load says so in its place; any other error passes on. */
export class CodeLoadBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (error instanceof CodeNotLoaded)
      return (
        <p className="detail-error" role="alert">
          {i18n.t('viewerStart.codeNotLoaded', { error: error.message })}
        </p>
      );
    if (error !== null) throw error;
    return this.props.children;
  }
}
