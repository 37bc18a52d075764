import { Link, useParams } from 'react-router';
import { gql, mapLimit, useAsync, useQuery } from '../api/client';
import { PROJECT_QUERY, RETIREMENTS_QUERY } from '../api/queries';
import type { ProjectDetail, Retirement } from '../api/types';
import { DataTable, type Column } from '../components/DataTable';
import { Facts } from '../components/Facts';
import { Empty, ErrorBox, Loading, NotFoundBox, useTitle } from '../components/Status';
import { RetirementsTable } from '../components/Retirements';
import { EligibilityMatrix } from '../components/Eligibility';
import { useI18n, type I18n } from '../i18n/i18n';
import { shortUnit } from '../lib/serials';

type Batch = ProjectDetail['batches'][number];
type RetirementRow = Retirement & { batchId: string };

const DONE_STATES = new Set(['VALIDATED', 'REGISTERED']);

function Timeline({ p, i }: { p: ProjectDetail; i: I18n }) {
  const { t, te, date, dateTime, tonnes } = i;
  const validated = DONE_STATES.has(p.status);
  const verified = p.monitoringReports.filter((r) => r.verifiedQuantity != null);
  const batches = [...p.batches].sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
  const steps: { key: string; title: string; done: boolean; lines: string[] }[] = [
    { key: 'design', title: t('project.step.design'), done: true, lines: [te('ProjectStatus', p.status)] },
    {
      key: 'validation',
      title: t('project.step.validation'),
      done: validated,
      lines: p.verifier ? [t('project.step.by', { name: p.verifier.name })] : [],
    },
    {
      key: 'registration',
      title: t('project.step.registration'),
      done: p.status === 'REGISTERED' || p.registeredOn != null,
      lines: p.registeredOn ? [date(p.registeredOn)] : [],
    },
    {
      key: 'monitoring',
      title: t('project.step.monitoring'),
      done: p.monitoringReports.length > 0,
      lines: p.monitoringReports.map(
        (r) =>
          `${t('project.step.period', { from: date(r.periodStart), to: date(r.periodEnd) })} — ${t('project.step.claimed', {
            qty: tonnes(r.claimedQuantity),
            status: te('ReportStatus', r.status),
          })}`,
      ),
    },
    {
      key: 'verification',
      title: t('project.step.verification'),
      done: verified.length > 0,
      lines: verified.map(
        (r) =>
          `${date(r.periodStart)} – ${date(r.periodEnd)}: ${t('project.step.verified', {
            qty: tonnes(r.verifiedQuantity),
            name: r.verifier?.name ?? p.verifier?.name ?? '–',
          })}`,
      ),
    },
    {
      key: 'issuance',
      title: t('project.step.issuance'),
      done: batches.length > 0,
      lines: batches.map((b) => t('project.step.issued', { date: dateTime(b.issuedAt), qty: tonnes(b.issuedQuantity), id: b.id })),
    },
  ];
  return (
    <section aria-labelledby="timeline-h">
      <h2 id="timeline-h">{t('project.timeline')}</h2>
      <p className="note">{t('project.timelineNote')}</p>
      <ol className="timeline" data-testid="mrv-timeline">
        {steps.map((s) => (
          <li key={s.key} className={s.done ? 'done' : 'pending'}>
            <span className="dot" aria-hidden="true" />
            <div>
              <h3>
                {s.title} <span className="step-state">({s.done ? t('project.step.done') : t('project.step.pending')})</span>
              </h3>
              {s.lines.length > 0 && (
                <ul>
                  {s.lines.map((l, n) => (
                    <li key={n}>{l}</li>
                  ))}
                </ul>
              )}
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}

export default function ProjectPage() {
  const i = useI18n();
  const { t, te, lang, tonnes, date, country, percent } = i;
  const { projectId = '' } = useParams();
  const q = useQuery<{ project: ProjectDetail | null }>(PROJECT_QUERY, { id: projectId });
  const project = q.data?.project;
  useTitle(project?.name ?? t('nav.projects'));
  const batchIds = project?.batches.map((b) => b.id) ?? [];
  const retirements = useAsync<RetirementRow[]>(project ? `retirements:${projectId}:${batchIds.join(',')}` : null, async () => {
    const lists = await mapLimit(batchIds, 4, async (batchId) => {
      const r = await gql<{ retirements: Retirement[] }>(RETIREMENTS_QUERY, { batchId });
      return r.retirements.map((x) => ({ ...x, batchId }));
    });
    return lists.flat().sort((a, b) => a.retiredAt.localeCompare(b.retiredAt));
  });

  if (q.error) return <ErrorBox error={q.error} onRetry={q.reload} />;
  if (q.loading) return <Loading />;
  if (!project) return <NotFoundBox />;
  const p = project;

  const batchColumns: Column<Batch>[] = [
    {
      key: 'id',
      header: t('ret.batch'),
      rowHeader: true,
      cell: (b) => <Link to={`/${lang}/batches/${encodeURIComponent(b.id)}`}>{b.id}</Link>,
    },
    { key: 'vintage', header: t('batch.vintage'), cell: (b) => i.vintage(b.vintageStart, b.vintageEnd) },
    {
      key: 'serials',
      header: t('batch.serialRange'),
      cell: (b) => (
        <span className="serial nowrap" title={`${b.serialStart} … ${b.serialEnd}`}>
          {shortUnit(b.serialStart)}–{shortUnit(b.serialEnd)}
        </span>
      ),
    },
    { key: 'issued', header: t('batch.issued'), numeric: true, cell: (b) => tonnes(b.issuedQuantity) },
    { key: 'category', header: t('batch.category'), cell: (b) => te('CreditCategory', b.category, true) },
    { key: 'ca', header: t('batch.ca'), cell: (b) => (b.correspondingAdjustment ? t('common.yes') : t('common.no')) },
    {
      key: 'buffer',
      header: t('batch.bufferShare'),
      numeric: true,
      cell: (b) =>
        `${tonnes(b.bufferQuantity)} (${percent(b.issuedQuantity ? b.bufferQuantity / b.issuedQuantity : 0)})`,
    },
    { key: 'retired', header: t('batch.retired'), numeric: true, cell: (b) => tonnes(b.retiredQuantity) },
  ];

  const retiredByBatch = new Map<string, number>();
  for (const r of retirements.data ?? []) retiredByBatch.set(r.batchId, (retiredByBatch.get(r.batchId) ?? 0) + r.quantity);
  const cancelRows = retirements.data
    ? p.batches
        .map((b) => ({ batch: b, quantity: Math.max(0, b.retiredQuantity - (retiredByBatch.get(b.id) ?? 0)) }))
        .filter((r) => r.quantity > 0)
    : [];

  return (
    <article className="project" data-testid="project-page">
      <p className="breadcrumb">
        <Link to={`/${lang}/projects`}>{t('nav.projects')}</Link> / {p.id}
      </p>
      <h1>{p.name}</h1>
      <p className="badges">
        <span className={`badge s-${p.status}`}>{te('ProjectStatus', p.status)}</span>
        <span className="badge">{te('CreditType', p.methodology.creditType)}</span>
        <span className="badge">{te('CreditBasis', p.methodology.basis)}</span>
      </p>
      <section aria-labelledby="overview-h">
        <h2 id="overview-h" className="visually-hidden">
          {t('project.overview')}
        </h2>
        <Facts
          testId="project-facts"
          items={[
            [t('project.program'), p.program.name],
            [t('project.methodology'), `${p.methodology.code} — ${p.methodology.title}`],
            [t('project.country'), `${country(p.country)}${p.region ? ` (${p.region})` : ''}`],
            [t('project.proponent'), p.proponent.name],
            [t('project.verifier'), p.verifier?.name ?? '–'],
            [
              t('project.creditingPeriod'),
              p.creditingPeriodStart ? `${date(p.creditingPeriodStart)} – ${date(p.creditingPeriodEnd)}` : '–',
            ],
            [t('project.origin'), p.originProjectId ?? '–'],
            [t('project.coBenefits'), p.coBenefits.length ? p.coBenefits.map((g) => `SDG ${g}`).join(', ') : '–'],
            ...(p.reversalRisk
              ? ([
                  [t('project.reversalRisk'), p.reversalRisk],
                  [t('project.reversalShortfall'), tonnes(p.reversalShortfall)],
                ] as [string, string][])
              : []),
          ]}
        />
      </section>

      <Timeline p={p} i={i} />

      <section aria-labelledby="batches-h">
        <h2 id="batches-h">{t('project.batches')}</h2>
        {p.batches.length === 0 ? (
          <Empty>{t('project.noBatches')}</Empty>
        ) : (
          <DataTable caption={t('project.batches')} captionHidden columns={batchColumns} rows={p.batches} rowKey={(b) => b.id} testId="batches-table" />
        )}
      </section>

      {p.batches.length > 0 && (
        <section aria-labelledby="elig-h">
          <h2 id="elig-h">{t('project.eligibility')}</h2>
          <p className="note">{t('project.eligibilityNote')}</p>
          <EligibilityMatrix batches={p.batches} />
        </section>
      )}

      <section aria-labelledby="ret-h">
        <h2 id="ret-h">{t('project.retirements')}</h2>
        {retirements.error ? (
          <ErrorBox error={retirements.error} onRetry={retirements.reload} />
        ) : retirements.loading ? (
          <Loading />
        ) : (retirements.data ?? []).length === 0 ? (
          <Empty>{t('project.noRetirements')}</Empty>
        ) : (
          <RetirementsTable rows={retirements.data!} showBatch testId="retirements-table" />
        )}
      </section>

      <section aria-labelledby="cancel-h">
        <h2 id="cancel-h">{t('project.cancellations')}</h2>
        <p className="note">{t('project.cancellationsNote')}</p>
        {retirements.data && cancelRows.length === 0 ? (
          <Empty>{t('project.noCancellations')}</Empty>
        ) : (
          <DataTable
            caption={t('project.cancellations')}
            captionHidden
            testId="cancellations-table"
            rows={cancelRows}
            rowKey={(r) => r.batch.id}
            columns={[
              {
                key: 'batch',
                header: t('ret.batch'),
                rowHeader: true,
                cell: (r) => <Link to={`/${lang}/batches/${encodeURIComponent(r.batch.id)}`}>{r.batch.id}</Link>,
              },
              { key: 'q', header: t('status.cancelledOrNdc'), numeric: true, cell: (r) => tonnes(r.quantity) },
            ]}
          />
        )}
      </section>
    </article>
  );
}
