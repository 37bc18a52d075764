import { useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { fetchAllPages, gql, useAsync, useQuery } from '../api/client';
import { PAGE_SIZE, PROGRAMS_QUERY, PROJECTS_BASIC_QUERY, PROJECTS_QUERY } from '../api/queries';
import {
  CATEGORIES,
  CREDIT_BASES,
  CREDIT_TYPES,
  PROJECT_STATUSES,
  type Named,
  type ProjectListItem,
} from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { Empty, ErrorBox, Loading, useTitle } from '../components/Status';
import { useI18n } from '../i18n/i18n';

export const PER_PAGE = 20;
const SORTS = ['name', '-name', '-issued', 'issued', '-registered', 'registered', 'country'] as const;
type Sort = (typeof SORTS)[number];
const FILTER_KEYS = ['q', 'program', 'country', 'type', 'basis', 'category', 'status', 'vintage'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

interface ProjectsPage {
  projects: { nodes: ProjectListItem[]; endCursor: string | null; hasNextPage: boolean };
}

/**
 * The whole public project list, read page by page. The graph filters only by program, country,
 * status and credit type, has no text search, sort or total count (see web/INTEGRATION.md), so
 * the explorer filters, sorts and pages in the browser; every state is in the URL.
 */
const loader = (query: string) => (): Promise<ProjectListItem[]> =>
  fetchAllPages(async (after) => (await gql<ProjectsPage>(query, { first: PAGE_SIZE, after })).projects);
// Two passes: names, countries and statuses arrive in ~0.1 s and show at once; program,
// methodology and batches (slower to resolve in the graph) follow and fill in the rest.
const loadBasic = loader(PROJECTS_BASIC_QUERY);
const loadFull = loader(PROJECTS_QUERY);
/** Filters and sorts that need the enriched list. */
const ENRICHED_FILTERS: FilterKey[] = ['program', 'type', 'basis', 'category', 'vintage'];

const issuedOf = (p: ProjectListItem) => (p.batches ?? []).reduce((s, b) => s + b.issuedQuantity, 0);
const vintagesOf = (p: ProjectListItem) =>
  [...new Set((p.batches ?? []).map((b) => Number(b.vintageStart.slice(0, 4))))].sort();

export function filterProjects(all: ProjectListItem[], f: Partial<Record<FilterKey, string>>): ProjectListItem[] {
  const q = f.q?.trim().toLowerCase();
  return all.filter(
    (p) =>
      (!q ||
        p.name.toLowerCase().includes(q) ||
        p.id.toLowerCase().includes(q) ||
        (p.originProjectId ?? '').toLowerCase().includes(q)) &&
      (!f.program || p.program?.id === f.program) &&
      (!f.country || p.country === f.country) &&
      (!f.type || p.methodology?.creditType === f.type) &&
      (!f.basis || p.methodology?.basis === f.basis) &&
      (!f.status || p.status === f.status) &&
      (!f.category || (p.batches ?? []).some((b) => b.category === f.category)) &&
      (!f.vintage || (p.batches ?? []).some((b) => b.vintageStart.startsWith(f.vintage!))),
  );
}

function sortProjects(rows: ProjectListItem[], sort: Sort, locale: string): ProjectListItem[] {
  const collator = new Intl.Collator(locale);
  const out = [...rows];
  const by: Record<Sort, (a: ProjectListItem, b: ProjectListItem) => number> = {
    name: (a, b) => collator.compare(a.name, b.name),
    '-name': (a, b) => collator.compare(b.name, a.name),
    issued: (a, b) => issuedOf(a) - issuedOf(b),
    '-issued': (a, b) => issuedOf(b) - issuedOf(a),
    registered: (a, b) => (a.registeredOn ?? '9999').localeCompare(b.registeredOn ?? '9999'),
    '-registered': (a, b) => (b.registeredOn ?? '').localeCompare(a.registeredOn ?? ''),
    country: (a, b) => a.country.localeCompare(b.country) || collator.compare(a.name, b.name),
  };
  return out.sort((a, b) => by[sort](a, b) || a.id.localeCompare(b.id));
}

export default function Projects() {
  const i = useI18n();
  const { t, te, lang, tonnes, date, country, int } = i;
  useTitle(t('projects.title'));
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ''])) as Record<FilterKey, string>;
  const sort: Sort = (SORTS as readonly string[]).includes(params.get('sort') ?? '') ? (params.get('sort') as Sort) : 'name';
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '1', 10) || 1);

  const basic = useAsync('projects:basic', loadBasic);
  // Started after the basic list, so the two do not compete for the same subgraph.
  const full = useAsync(basic.data || basic.error ? 'projects:full' : null, loadFull);
  const programs = useQuery<{ programs: Named[] }>(PROGRAMS_QUERY);
  const needsFull = ENRICHED_FILTERS.some((k) => filters[k]) || sort === 'issued' || sort === '-issued';
  // The list shown: the enriched one once it is there, the basic one before (unless a filter or
  // the sort needs the enriched fields).
  const projects = full.data || needsFull ? full : basic.data ? basic : full.error ? full : basic;
  const all = projects.data ?? [];
  const countries = useMemo(
    () => [...new Set(all.map((p) => p.country))].sort((a, b) => country(a).localeCompare(country(b), i.locale)),
    [all, country, i.locale],
  );
  const vintages = useMemo(() => [...new Set(all.flatMap(vintagesOf))].sort((a, b) => b - a), [all]);
  const matching = useMemo(() => sortProjects(filterProjects(all, filters), sort, i.locale), [all, params, i.locale]); // eslint-disable-line
  const pages = Math.max(1, Math.ceil(matching.length / PER_PAGE));
  const current = Math.min(page, pages);
  const shown = matching.slice((current - 1) * PER_PAGE, current * PER_PAGE);

  // The form edits a draft; submitting writes it to the URL (page back to 1).
  const [draft, setDraft] = useState<Record<FilterKey | 'sort', string>>({ ...filters, sort });
  const [draftFor, setDraftFor] = useState(params.toString());
  if (draftFor !== params.toString()) {
    setDraftFor(params.toString());
    setDraft({ ...filters, sort });
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of Object.entries(draft)) if (v && !(k === 'sort' && v === 'name')) next.set(k, v.trim());
    setParams(next);
  };
  const pageLink = (n: number) => {
    const next = new URLSearchParams(params);
    if (n <= 1) next.delete('page');
    else next.set('page', String(n));
    return `?${next.toString()}`;
  };

  const select = (key: FilterKey | 'sort', label: string, options: [string, string][], withAll = true) => (
    <div className="field">
      <label htmlFor={`f-${key}`}>{label}</label>
      <select
        id={`f-${key}`}
        name={key}
        value={draft[key]}
        onChange={(e) => setDraft({ ...draft, [key]: e.target.value })}
      >
        {withAll && <option value="">{t('common.all')}</option>}
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </div>
  );

  const columns: Column<ProjectListItem>[] = [
    {
      key: 'name',
      header: t('projects.col.name'),
      rowHeader: true,
      cell: (p) => (
        <>
          <Link to={`/${lang}/projects/${encodeURIComponent(p.id)}`}>{p.name}</Link>
          <span className="sub">
            {p.id}
            {p.originProjectId ? ` · ${p.originProjectId}` : ''}
          </span>
        </>
      ),
    },
    { key: 'program', header: t('projects.col.program'), cell: (p) => p.program?.name ?? '…' },
    { key: 'country', header: t('projects.col.country'), cell: (p) => country(p.country) },
    {
      key: 'type',
      header: t('projects.col.type'),
      cell: (p) =>
        p.methodology ? `${te('CreditType', p.methodology.creditType)} · ${te('CreditBasis', p.methodology.basis)}` : '…',
    },
    { key: 'status', header: t('projects.col.status'), cell: (p) => <span className={`badge s-${p.status}`}>{te('ProjectStatus', p.status)}</span> },
    { key: 'vintages', header: t('projects.col.vintages'), cell: (p) => (p.batches ? vintagesOf(p).join(', ') || '–' : '…') },
    { key: 'issued', header: t('projects.col.issued'), numeric: true, cell: (p) => (p.batches ? tonnes(issuedOf(p)) : '…') },
    { key: 'registered', header: t('projects.col.registered'), cell: (p) => date(p.registeredOn) },
  ];

  return (
    <div className="projects">
      <h1>{t('projects.title')}</h1>
      <form role="search" aria-label={t('projects.search')} className="filters" onSubmit={submit} data-testid="project-filters">
        <div className="field field-wide">
          <label htmlFor="f-q">{t('projects.q')}</label>
          <input
            id="f-q"
            name="q"
            type="search"
            value={draft.q}
            onChange={(e) => setDraft({ ...draft, q: e.target.value })}
            data-testid="project-search"
          />
        </div>
        {select('program', t('projects.program'), (programs.data?.programs ?? []).map((p) => [p.id, p.name]))}
        {select('country', t('projects.country'), countries.map((c) => [c, country(c)]))}
        {select('type', t('projects.type'), CREDIT_TYPES.map((v) => [v, te('CreditType', v)]))}
        {select('basis', t('projects.basis'), CREDIT_BASES.map((v) => [v, te('CreditBasis', v)]))}
        {select('category', t('projects.category'), CATEGORIES.map((v) => [v, te('CreditCategory', v, true)]))}
        {select('status', t('projects.status'), PROJECT_STATUSES.map((v) => [v, te('ProjectStatus', v)]))}
        {select('vintage', t('projects.vintage'), vintages.map((v) => [String(v), String(v)]))}
        {select('sort', t('projects.sort'), SORTS.map((s) => [s, t(`projects.sort.${s}`)]), false)}
        <div className="actions">
          <button type="submit">{t('common.apply')}</button>
          <Link to={`/${lang}/projects`} className="button-secondary">
            {t('common.reset')}
          </Link>
        </div>
      </form>

      {projects.error ? (
        <ErrorBox error={projects.error} onRetry={projects.reload} />
      ) : projects.loading ? (
        <Loading />
      ) : matching.length === 0 ? (
        <Empty>{t('projects.none')}</Empty>
      ) : (
        <>
          <p className="result-count" role="status" data-testid="result-count">
            {t('projects.results', {
              count: int(matching.length),
              from: int((current - 1) * PER_PAGE + 1),
              to: int((current - 1) * PER_PAGE + shown.length),
            })}
          </p>
          <DataTable
            caption={t('projects.title')}
            captionHidden
            columns={columns}
            rows={shown}
            rowKey={(p) => p.id}
            testId="projects-table"
          />
          {pages > 1 && (
            <nav aria-label={t('projects.pagination')} className="pagination">
              {current > 1 ? (
                <Link to={pageLink(current - 1)} rel="prev">
                  {t('projects.prev')}
                </Link>
              ) : (
                <span aria-hidden="true" className="disabled">
                  {t('projects.prev')}
                </span>
              )}
              <span aria-current="page">{t('projects.page', { page: current, pages })}</span>
              {current < pages ? (
                <Link to={pageLink(current + 1)} rel="next">
                  {t('projects.next')}
                </Link>
              ) : (
                <span aria-hidden="true" className="disabled">
                  {t('projects.next')}
                </span>
              )}
            </nav>
          )}
        </>
      )}
    </div>
  );
}
