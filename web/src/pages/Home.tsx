import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useQuery } from '../api/client';
import { HOME_QUERY } from '../api/queries';
import { useTitle } from '../components/Status';
import { useI18n } from '../i18n/i18n';

interface HomeData {
  creditMarketStatistics: { issuance: { quantity: number }[]; retirements: { quantity: number }[] } | null;
  instruments: { id: string }[] | null;
}

export default function Home() {
  const { t, lang, tonnes, int } = useI18n();
  useTitle(undefined);
  const navigate = useNavigate();
  const [q, setQ] = useState('');
  const { data } = useQuery<HomeData>(HOME_QUERY);
  const sum = (rows?: { quantity: number }[]) => rows?.reduce((s, r) => s + r.quantity, 0);
  const stats = data?.creditMarketStatistics;

  return (
    <div className="home">
      <section className="hero" aria-labelledby="home-title">
        <h1 id="home-title">{t('site.title')}</h1>
        <p className="lead">{t('home.lead')}</p>
        <form
          role="search"
          className="hero-search"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(`/${lang}/projects${q.trim() ? `?q=${encodeURIComponent(q.trim())}` : ''}`);
          }}
        >
          <label htmlFor="home-q">{t('home.searchLabel')}</label>
          <div className="search-row">
            <input
              id="home-q"
              type="search"
              value={q}
              placeholder={t('home.searchPlaceholder')}
              onChange={(e) => setQ(e.target.value)}
              data-testid="home-search"
            />
            <button type="submit">{t('common.apply')}</button>
          </div>
        </form>
      </section>
      <dl className="kpis" aria-live="polite">
        <div className="kpi">
          <dt>{t('home.issued')}</dt>
          <dd>{stats ? tonnes(sum(stats.issuance)) : '…'}</dd>
        </div>
        <div className="kpi">
          <dt>{t('home.retired')}</dt>
          <dd>{stats ? tonnes(sum(stats.retirements)) : '…'}</dd>
        </div>
        <div className="kpi">
          <dt>{t('home.instruments')}</dt>
          <dd>{data?.instruments ? int(data.instruments.length) : '…'}</dd>
        </div>
      </dl>
      <ul className="cards">
        <li>
          <Link to={`/${lang}/projects`} className="card">
            <h2>{t('home.projectsCard')}</h2>
            <p>{t('home.projectsCardText')}</p>
          </Link>
        </li>
        <li>
          <Link to={`/${lang}/market`} className="card">
            <h2>{t('home.marketCard')}</h2>
            <p>{t('home.marketCardText')}</p>
          </Link>
        </li>
        <li>
          <Link to={`/${lang}/statistics`} className="card">
            <h2>{t('home.statisticsCard')}</h2>
            <p>{t('home.statisticsCardText')}</p>
          </Link>
        </li>
      </ul>
    </div>
  );
}
