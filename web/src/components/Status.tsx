import { Link } from 'react-router';
import { useI18n } from '../i18n/i18n';

export function Loading() {
  const { t } = useI18n();
  return (
    <p className="status" role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      {t('common.loading')}
    </p>
  );
}

export function ErrorBox({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="error-box" role="alert" data-testid="error">
      <p>
        <strong>{t('common.error')}</strong>: {error.message}
      </p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function NotFoundBox() {
  const { t, lang } = useI18n();
  return (
    <div className="notice" data-testid="not-found">
      <h1>{t('common.notFound')}</h1>
      <p>{t('common.notFoundText')}</p>
      <p>
        <Link to={`/${lang}`}>{t('common.backHome')}</Link>
      </p>
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** Sets the document title: "<page> | <site>". */
export function useTitle(page: string | undefined) {
  const { t } = useI18n();
  const title = page ? `${page} | ${t('site.title')}` : t('site.title');
  if (typeof document !== 'undefined' && document.title !== title) document.title = title;
}
