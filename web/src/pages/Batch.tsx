import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { useQuery } from '../api/client';
import { BATCH_QUERY } from '../api/queries';
import type { BatchDetail, Retirement } from '../api/types';
import { STATUS_COLOURS, type ChartOption } from '../charts/types';
import { ChartFigure } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { EligibilityMatrix } from '../components/Eligibility';
import { Facts } from '../components/Facts';
import { RetirementsTable } from '../components/Retirements';
import { Empty, ErrorBox, Loading, NotFoundBox, useTitle } from '../components/Status';
import { useI18n } from '../i18n/i18n';
import { serialSegments, segmentSize, shortUnit, type Segment } from '../lib/serials';
import type { MessageKey } from '../i18n/dict';

const SEGMENT_LABEL: Record<Segment['status'], MessageKey> = {
  buffer: 'status.buffer',
  retired: 'status.retired',
  other: 'status.circulating',
};
// A map with thousands of tiny segments is unreadable: beyond this, the table carries the detail.
const MAX_SEGMENTS = 400;

export default function BatchPage() {
  const i = useI18n();
  const { t, te, lang, tonnes, date, dateTime, percent, int, country } = i;
  const { batchId = '' } = useParams();
  const q = useQuery<{ creditBatch: BatchDetail | null; retirements: Retirement[] }>(BATCH_QUERY, { id: batchId });
  const b = q.data?.creditBatch;
  useTitle(b ? t('batch.title', { id: b.id }) : undefined);

  const segments = useMemo(
    () => (b ? serialSegments(b, (q.data?.retirements ?? []).flatMap((r) => r.serialRanges)) : null),
    [b, q.data],
  );

  const option = useMemo<ChartOption>(() => {
    if (!segments) return {};
    const first = segments[0]?.start ?? 0;
    const shown = segments.slice(0, MAX_SEGMENTS);
    return {
      grid: { left: 16, right: 24, top: 40, bottom: 40, containLabel: true },
      legend: { top: 0, data: (['buffer', 'retired', 'other'] as const).filter((s) => shown.some((x) => x.status === s)).map((s) => t(SEGMENT_LABEL[s])) },
      tooltip: { trigger: 'item' },
      xAxis: {
        type: 'value',
        name: t('batch.axis'),
        nameLocation: 'middle',
        nameGap: 26,
        min: 0,
        max: segments.reduce((s, x) => s + segmentSize(x), 0),
        axisLabel: { formatter: (v: number) => int(v + first), hideOverlap: true },
      },
      yAxis: { type: 'category', data: [t('batch.serials')], axisLabel: { show: false }, axisTick: { show: false } },
      series: shown.map((s) => ({
        type: 'bar' as const,
        stack: 'units',
        name: t(SEGMENT_LABEL[s.status]),
        barWidth: 56,
        itemStyle: { color: STATUS_COLOURS[s.status], borderColor: '#ffffff', borderWidth: s.status === 'other' ? 0 : 1 },
        data: [segmentSize(s)],
        tooltip: { valueFormatter: () => `${int(s.start)} – ${int(s.end)} (${tonnes(segmentSize(s))})` },
      })),
    };
  }, [segments, t, int, tonnes]);

  if (q.error) return <ErrorBox error={q.error} onRetry={q.reload} />;
  if (q.loading) return <Loading />;
  if (!b) return <NotFoundBox />;
  const retirements = q.data?.retirements ?? [];
  const retiredSum = retirements.reduce((s, r) => s + r.quantity, 0);
  const cancelledOrNdc = Math.max(0, b.retiredQuantity - retiredSum);
  const inCirculation = Math.max(0, b.issuedQuantity - b.bufferQuantity - b.retiredQuantity);
  const statusRows: [string, number | null][] = [
    [t('status.issued'), b.issuedQuantity],
    [t('status.buffer'), b.bufferQuantity],
    [t('status.retired'), retiredSum],
    [t('status.cancelledOrNdc'), cancelledOrNdc],
    [t('status.inCirculation'), inCirculation],
    [t('status.locked'), null],
  ];

  return (
    <article className="batch" data-testid="batch-page">
      <p className="breadcrumb">
        <Link to={`/${lang}/projects`}>{t('nav.projects')}</Link> /{' '}
        <Link to={`/${lang}/projects/${encodeURIComponent(b.project.id)}`}>{b.project.name}</Link> / {b.id}
      </p>
      <h1>{t('batch.title', { id: b.id })}</h1>
      <Facts
        testId="batch-facts"
        items={[
          [t('batch.project'), <Link to={`/${lang}/projects/${encodeURIComponent(b.project.id)}`}>{b.project.name}</Link>],
          [t('project.program'), b.project.program.name],
          [t('project.country'), country(b.project.country)],
          [t('project.methodology'), `${b.project.methodology.code} — ${b.project.methodology.title}`],
          [t('batch.vintage'), `${date(b.vintageStart)} – ${date(b.vintageEnd)}`],
          [t('batch.type'), `${te('CreditType', b.creditType)} · ${te('CreditBasis', b.basis)}`],
          [t('batch.category'), te('CreditCategory', b.category)],
          [t('batch.ca'), b.correspondingAdjustment ? t('batch.caYes') : t('batch.caNo')],
          [t('batch.authorization'), b.authorization || '–'],
          [t('batch.issued'), tonnes(b.issuedQuantity)],
          [t('batch.issuedAt'), dateTime(b.issuedAt)],
          [t('batch.bufferShare'), `${tonnes(b.bufferQuantity)} (${percent(b.issuedQuantity ? b.bufferQuantity / b.issuedQuantity : 0)})`],
          [t('batch.retired'), tonnes(b.retiredQuantity)],
          [t('batch.traded'), tonnes(b.tradedQuantity)],
          [t('batch.monitoring'), `${date(b.monitoringReport.periodStart)} – ${date(b.monitoringReport.periodEnd)}`],
          [t('project.verifier'), b.monitoringReport.verifier?.name ?? '–'],
          ...(b.exchangeCategory ? ([[t('batch.exchangeCategory'), b.exchangeCategory]] as [string, string][]) : []),
          [t('batch.serials'), <span className="serial">{b.serialStart} – {b.serialEnd}</span>],
        ]}
        wide={[-1]}
      />

      <ChartFigure
        id="serial-map"
        title={t('batch.map')}
        note={t('batch.mapNote')}
        option={option}
        height={200}
        empty={!segments}
        label={t('batch.mapAria', {
          summary: (segments ?? [])
            .slice(0, 12)
            .map((s) => `${t(SEGMENT_LABEL[s.status])} ${int(s.start)}–${int(s.end)}`)
            .join(', '),
        })}
        table={
          <DataTable
            caption={t('batch.map')}
            rows={segments ?? []}
            rowKey={(s) => `${s.start}`}
            testId="serial-map-table"
            columns={[
              { key: 'from', header: t('batch.segment.from'), rowHeader: true, cell: (s) => String(s.start).padStart(12, '0') },
              { key: 'to', header: t('batch.segment.to'), cell: (s) => String(s.end).padStart(12, '0') },
              { key: 'n', header: t('batch.segment.count'), numeric: true, cell: (s) => tonnes(segmentSize(s)) },
              { key: 'st', header: t('batch.segment.status'), cell: (s) => t(SEGMENT_LABEL[s.status]) },
            ]}
          />
        }
      />

      <section aria-labelledby="status-h">
        <h2 id="status-h">{t('batch.byStatus')}</h2>
        <DataTable
          caption={t('batch.byStatus')}
          captionHidden
          rows={statusRows}
          rowKey={(r) => r[0]}
          testId="status-table"
          columns={[
            { key: 's', header: t('batch.segment.status'), rowHeader: true, cell: (r) => r[0] },
            { key: 'q', header: t('batch.segment.count'), numeric: true, cell: (r) => (r[1] == null ? t('common.unknown') : tonnes(r[1])) },
          ]}
        />
      </section>

      <section aria-labelledby="elig-h">
        <h2 id="elig-h">{t('project.eligibility')}</h2>
        <p className="note">{t('project.eligibilityNote')}</p>
        <EligibilityMatrix batches={[b]} />
      </section>

      <section aria-labelledby="ret-h">
        <h2 id="ret-h">{t('project.retirements')}</h2>
        {retirements.length === 0 ? (
          <Empty>{t('project.noRetirements')}</Empty>
        ) : (
          <RetirementsTable rows={retirements} testId="batch-retirements-table" />
        )}
      </section>
      <p className="note">
        {t('batch.serialRange')}: {shortUnit(b.serialStart)} – {shortUnit(b.serialEnd)}
      </p>
    </article>
  );
}
