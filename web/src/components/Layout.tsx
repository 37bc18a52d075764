import { useEffect, useRef } from 'react';
import { Link, NavLink, Outlet, useLocation, useParams } from 'react-router';
import { I18nProvider, isLang, useI18n, type Lang } from '../i18n/i18n';
import NotFound from '../pages/NotFound';

/** The path of the same page in the other language (query string kept). */
function switchPath(pathname: string, search: string, to: Lang): string {
  const rest = pathname.replace(/^\/(ja|en)(?=\/|$)/, '');
  return `/${to}${rest}${search}`;
}

function Shell() {
  const { t, lang } = useI18n();
  const location = useLocation();
  const other: Lang = lang === 'ja' ? 'en' : 'ja';
  const mainRef = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  // After a client-side navigation, move focus to the new page (as a page load would), so
  // keyboard and screen-reader users start at its content.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    mainRef.current?.focus({ preventScroll: false });
    window.scrollTo(0, 0);
  }, [location.pathname]);

  const nav = [
    { to: `/${lang}`, label: t('nav.home'), end: true },
    { to: `/${lang}/projects`, label: t('nav.projects'), end: false },
    { to: `/${lang}/market`, label: t('nav.market'), end: false },
    { to: `/${lang}/statistics`, label: t('nav.statistics'), end: false },
  ];

  return (
    <>
      <a className="skip-link" href="#main">
        {t('skip.main')}
      </a>
      <header className="site-header">
        <div className="wrap header-row">
          <Link to={`/${lang}`} className="brand">
            <span className="brand-mark" aria-hidden="true" />
            <span>
              <span className="brand-title">{t('site.title')}</span>
              <span className="brand-tagline">{t('site.tagline')}</span>
            </span>
          </Link>
          <nav aria-label={t('nav.label')} className="main-nav">
            <ul>
              {nav.map((n) => (
                <li key={n.to}>
                  <NavLink to={n.to} end={n.end}>
                    {n.label}
                  </NavLink>
                </li>
              ))}
            </ul>
          </nav>
          <Link
            className="lang-switch"
            to={switchPath(location.pathname, location.search, other)}
            hrefLang={other}
            lang={other}
            aria-label={t('lang.switchLabel')}
            data-testid="lang-switch"
          >
            {t('lang.switch')}
          </Link>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="wrap">
        <Outlet />
      </main>
      <footer className="site-footer">
        <div className="wrap">
          <p>{t('footer.source')}</p>
        </div>
      </footer>
    </>
  );
}

export default function Layout() {
  const { lang } = useParams();
  if (!isLang(lang)) {
    return (
      <I18nProvider lang="en">
        <main id="main" className="wrap">
          <NotFound />
        </main>
      </I18nProvider>
    );
  }
  return (
    <I18nProvider lang={lang}>
      <Shell />
    </I18nProvider>
  );
}
