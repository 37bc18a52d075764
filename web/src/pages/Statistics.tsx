import { useMemo } from 'react';
import { fetchAllPages, gql, mapLimit, useAsync } from '../api/client';
import { BATCHES_QUERY, BUFFER_POOL_QUERY, PAGE_SIZE, STATISTICS_QUERY } from '../api/queries';
import { CREDIT_BASES, CREDIT_TYPES, type BatchStat, type BufferPool, type MarketVolume } from '../api/types';
import type { ChartOption } from '../charts/types';
import { ChartFigure } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { Empty, ErrorBox, Loading, useTitle } from '../components/Status';
import { useI18n, type I18n } from '../i18n/i18n';
import { cumulative, pivot, stockByProgram, sumBy, yearOf, type Matrix } from '../lib/stats';

interface StatsData {
  programs: { id: string; name: string; japanese: boolean }[];
  volumes: { issuance: MarketVolume[]; retirements: MarketVolume[] };
  batches: BatchStat[];
  pools: BufferPool[];
}

async function loadStatistics(): Promise<StatsData> {
  const [head, batches] = await Promise.all([
    gql<{ programs: StatsData['programs']; creditMarketStatistics: StatsData['volumes'] }>(STATISTICS_QUERY),
    fetchAllPages(async (after) => {
      const r = await gql<{ creditBatches: { nodes: BatchStat[]; endCursor: string | null; hasNextPage: boolean } }>(
        BATCHES_QUERY,
        { first: PAGE_SIZE, after },
      );
      return r.creditBatches;
    }),
  ]);
  const pools = await mapLimit(head.programs, 4, async (p) => {
    const r = await gql<{ bufferPool: BufferPool }>(BUFFER_POOL_QUERY, { programId: p.id });
    return r.bufferPool;
  });
  return { programs: head.programs, volumes: head.creditMarketStatistics, batches, pools };
}

/** A stacked bar chart of a year × key matrix, and its table. */
function MatrixFigure({
  id,
  title,
  m,
  label,
  i,
  note,
}: {
  id: string;
  title: string;
  m: Matrix;
  label: (key: string) => string;
  i: I18n;
  note?: string;
}) {
  const { t, tonnes } = i;
  const option: ChartOption = {
    grid: { left: 16, right: 16, top: 24 + 22 * Math.ceil(m.keys.length / 3), bottom: 24, containLabel: true },
    legend: { top: 0, type: 'plain' },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: m.years.map(String) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
    series: m.keys.map((k) => ({
      type: 'bar' as const,
      stack: 'total',
      name: label(k),
      data: m.years.map((y) => m.value(y, k)),
      tooltip: { valueFormatter: (v: unknown) => tonnes(Number(v)) },
    })),
  };
  return (
    <ChartFigure
      id={id}
      title={title}
      note={note}
      option={option}
      empty={m.years.length === 0}
      table={
        <DataTable
          caption={title}
          rows={m.years}
          rowKey={(y) => String(y)}
          columns={[
            { key: 'y', header: t('stats.year'), rowHeader: true, cell: (y) => String(y) },
            ...m.keys.map((k) => ({ key: k, header: label(k), numeric: true, cell: (y: number) => tonnes(m.value(y, k)) })),
            {
              key: 'total',
              header: t('common.total'),
              numeric: true,
              cell: (y: number) => tonnes(m.keys.reduce((s, k) => s + m.value(y, k), 0)),
            },
          ]}
        />
      }
    />
  );
}

export default function Statistics() {
  const i = useI18n();
  const { t, te, tonnes, date } = i;
  useTitle(t('stats.title'));
  const q = useAsync('statistics', loadStatistics);
  const d = q.data;

  const derived = useMemo(() => {
    if (!d) return null;
    const programName = new Map(d.programs.map((p) => [p.id, p.name]));
    const pname = (id: string) => programName.get(id) ?? id;
    const programOrder = d.programs.map((p) => p.id);
    const issuanceByProgram = pivot(d.volumes.issuance, (v) => v.year, (v) => v.program, (v) => v.quantity, programOrder);
    const retirementByProgram = pivot(d.volumes.retirements, (v) => v.year, (v) => v.program, (v) => v.quantity, programOrder);
    const typeOrder = CREDIT_TYPES.flatMap((ty) => CREDIT_BASES.map((b) => `${ty}|${b}`));
    const issuanceByType = pivot(
      d.batches,
      (b) => yearOf(b.issuedAt),
      (b) => `${b.creditType}|${b.basis}`,
      (b) => b.issuedQuantity,
      typeOrder,
    );
    const retirementByType = pivot(d.volumes.retirements, (v) => v.year, (v) => v.creditType, (v) => v.quantity, CREDIT_TYPES);
    const cum = cumulative(d.volumes.issuance);
    const methodologies = [...sumBy(d.batches, (b) => b.project.methodology.code, (b) => b.issuedQuantity).entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10);
    const pools = new Map(d.pools.map((p) => [p.programId, p]));
    const stock = stockByProgram(d.batches, pools);
    const ca = d.batches.filter((b) => b.correspondingAdjustment);
    const jcm = d.batches.filter((b) => b.project.program.id === 'JCM');
    const sum = (rows: BatchStat[], f: (b: BatchStat) => number) => rows.reduce((s, b) => s + f(b), 0);
    const article6: [string, number][] = [
      [t('stats.caIssued'), sum(ca, (b) => b.issuedQuantity)],
      [t('stats.caOut'), sum(ca, (b) => b.retiredQuantity)],
      [t('stats.jcmIssued'), sum(jcm, (b) => b.issuedQuantity)],
      [t('stats.jcmOut'), sum(jcm, (b) => b.retiredQuantity)],
      [t('stats.jcmUnused'), sum(jcm, (b) => Math.max(0, b.issuedQuantity - b.bufferQuantity - b.retiredQuantity))],
      [t('stats.ndcCategoryIssued'), sum(d.batches.filter((b) => b.category === 'NDC_CONTRIBUTING'), (b) => b.issuedQuantity)],
    ];
    const activePools = d.pools.filter((p) => p.bufferIssued > 0 || p.reversals.length > 0);
    return {
      pname,
      issuanceByProgram,
      retirementByProgram,
      issuanceByType,
      retirementByType,
      cum,
      methodologies,
      stock,
      article6,
      activePools,
    };
  }, [d, t]);

  if (q.error) return <ErrorBox error={q.error} onRetry={q.reload} />;
  if (q.loading || !derived) return <Loading />;
  const x = derived;
  const typeLabel = (k: string) => {
    const [ty, b] = k.split('|');
    return `${te('CreditType', ty)} × ${te('CreditBasis', b)}`;
  };

  const cumOption: ChartOption = {
    grid: { left: 16, right: 16, top: 32, bottom: 24, containLabel: true },
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    xAxis: { type: 'category', data: x.cum.map((r) => String(r.year)) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
    series: [
      {
        type: 'bar',
        name: t('stats.issued'),
        data: x.cum.map((r) => r.quantity),
        itemStyle: { color: '#56B4E9' },
        tooltip: { valueFormatter: (v: unknown) => tonnes(Number(v)) },
      },
      {
        type: 'line',
        name: t('stats.cumulativeLabel'),
        data: x.cum.map((r) => r.total),
        itemStyle: { color: '#0072B2' },
        tooltip: { valueFormatter: (v: unknown) => tonnes(Number(v)) },
      },
    ],
  };
  const methOption: ChartOption = {
    grid: { left: 16, right: 48, top: 8, bottom: 16, containLabel: true },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
    yAxis: {
      type: 'category',
      inverse: true,
      data: x.methodologies.map((m) => m[0]),
      axisLabel: { width: 180, overflow: 'truncate' },
    },
    series: [
      {
        type: 'bar',
        name: t('stats.issued'),
        data: x.methodologies.map((m) => m[1]),
        itemStyle: { color: '#009E73' },
        tooltip: { valueFormatter: (v: unknown) => tonnes(Number(v)) },
      },
    ],
  };
  const stockOption: ChartOption = {
    grid: { left: 16, right: 16, top: 40, bottom: 16, containLabel: true },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
    yAxis: { type: 'category', inverse: true, data: x.stock.map((r) => x.pname(r.program)), axisLabel: { width: 200, overflow: 'truncate' } },
    series: [
      { type: 'bar', stack: 's', name: t('stats.circulating'), data: x.stock.map((r) => r.circulating), itemStyle: { color: '#0072B2' } },
      { type: 'bar', stack: 's', name: t('stats.bufferRemaining'), data: x.stock.map((r) => r.bufferRemaining), itemStyle: { color: '#8C6D1F' } },
    ],
  };
  const bufferOption: ChartOption = {
    grid: { left: 16, right: 16, top: 40, bottom: 16, containLabel: true },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: x.activePools.map((p) => x.pname(p.programId)) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
    series: [
      { type: 'bar', name: t('stats.bufferIssued'), data: x.activePools.map((p) => p.bufferIssued), itemStyle: { color: '#E69F00' } },
      { type: 'bar', name: t('stats.bufferCancelled'), data: x.activePools.map((p) => p.cancelledForReversals), itemStyle: { color: '#D55E00' } },
      { type: 'bar', name: t('stats.bufferRemaining'), data: x.activePools.map((p) => p.remaining), itemStyle: { color: '#8C6D1F' } },
    ],
  };
  const reversals = x.activePools.flatMap((p) => p.reversals.map((r) => ({ ...r, programId: p.programId })));

  return (
    <div className="statistics" data-testid="statistics-page">
      <h1>{t('stats.title')}</h1>
      <p className="lead">{t('stats.lead')}</p>
      <div className="grid-2">
        <MatrixFigure id="issuance-program" title={t('stats.issuanceByProgram')} m={x.issuanceByProgram} label={x.pname} i={i} />
        <MatrixFigure id="retirement-program" title={t('stats.retirementByProgram')} m={x.retirementByProgram} label={x.pname} i={i} />
        <MatrixFigure id="issuance-type" title={t('stats.issuanceByType')} m={x.issuanceByType} label={typeLabel} i={i} />
        <MatrixFigure
          id="retirement-type"
          title={t('stats.retirementByType')}
          m={x.retirementByType}
          label={(k) => te('CreditType', k)}
          i={i}
        />
        <ChartFigure
          id="cumulative"
          title={t('stats.cumulative')}
          option={cumOption}
          empty={x.cum.length === 0}
          table={
            <DataTable
              caption={t('stats.cumulative')}
              rows={x.cum}
              rowKey={(r) => String(r.year)}
              columns={[
                { key: 'y', header: t('stats.year'), rowHeader: true, cell: (r) => String(r.year) },
                { key: 'q', header: t('stats.issued'), numeric: true, cell: (r) => tonnes(r.quantity) },
                { key: 'c', header: t('stats.cumulativeLabel'), numeric: true, cell: (r) => tonnes(r.total) },
              ]}
            />
          }
        />
        <ChartFigure
          id="methodology"
          title={t('stats.byMethodology')}
          option={methOption}
          empty={x.methodologies.length === 0}
          table={
            <DataTable
              caption={t('stats.byMethodology')}
              rows={x.methodologies}
              rowKey={(r) => r[0]}
              columns={[
                { key: 'm', header: t('stats.methodology'), rowHeader: true, cell: (r) => r[0] },
                { key: 'q', header: t('stats.issued'), numeric: true, cell: (r) => tonnes(r[1]) },
              ]}
            />
          }
        />
      </div>

      <ChartFigure
        id="stock"
        title={t('stats.stock')}
        note={t('stats.stockNote')}
        option={stockOption}
        height={Math.max(200, 48 * x.stock.length + 80)}
        empty={x.stock.length === 0}
        table={
          <DataTable
            caption={t('stats.stock')}
            rows={x.stock}
            rowKey={(r) => r.program}
            testId="stock-table"
            columns={[
              { key: 'p', header: t('stats.program'), rowHeader: true, cell: (r) => x.pname(r.program) },
              { key: 'i', header: t('stats.issued'), numeric: true, cell: (r) => tonnes(r.issued) },
              { key: 'o', header: t('stats.outOfCirculation'), numeric: true, cell: (r) => tonnes(r.outOfCirculation) },
              { key: 'c', header: t('stats.circulating'), numeric: true, cell: (r) => tonnes(r.circulating) },
              { key: 'b', header: t('stats.bufferRemaining'), numeric: true, cell: (r) => tonnes(r.bufferRemaining) },
            ]}
          />
        }
      />

      <section aria-labelledby="article6-h">
        <h2 id="article6-h">{t('stats.article6')}</h2>
        <p className="note">{t('stats.article6Note')}</p>
        <DataTable
          caption={t('stats.article6')}
          captionHidden
          rows={x.article6}
          rowKey={(r) => r[0]}
          testId="article6-table"
          columns={[
            { key: 'm', header: t('stats.metric'), rowHeader: true, cell: (r) => r[0] },
            { key: 'q', header: t('stats.quantity'), numeric: true, cell: (r) => tonnes(r[1]) },
          ]}
        />
      </section>

      <ChartFigure
        id="buffer"
        title={t('stats.buffer')}
        note={t('stats.bufferNote')}
        option={bufferOption}
        empty={x.activePools.length === 0}
        table={
          <DataTable
            caption={t('stats.buffer')}
            rows={x.activePools}
            rowKey={(p) => p.programId}
            testId="buffer-table"
            columns={[
              { key: 'p', header: t('stats.program'), rowHeader: true, cell: (p) => x.pname(p.programId) },
              { key: 'i', header: t('stats.bufferIssued'), numeric: true, cell: (p) => tonnes(p.bufferIssued) },
              { key: 'c', header: t('stats.bufferCancelled'), numeric: true, cell: (p) => tonnes(p.cancelledForReversals) },
              { key: 'r', header: t('stats.bufferRemaining'), numeric: true, cell: (p) => tonnes(p.remaining) },
            ]}
          />
        }
      />
      <section aria-labelledby="reversals-h">
        <h3 id="reversals-h">{t('stats.reversals')}</h3>
        {reversals.length === 0 ? (
          <Empty>{t('common.noData')}</Empty>
        ) : (
          <DataTable
            caption={t('stats.reversals')}
            captionHidden
            rows={reversals}
            rowKey={(r) => r.reversalId}
            testId="reversals-table"
            columns={[
              { key: 'd', header: t('stats.occurredOn'), rowHeader: true, cell: (r) => date(r.occurredOn) },
              { key: 'p', header: t('stats.program'), cell: (r) => x.pname(r.programId) },
              { key: 'pr', header: t('batch.project'), cell: (r) => r.projectId },
              { key: 'q', header: t('stats.quantity'), numeric: true, cell: (r) => tonnes(r.quantity) },
              { key: 'c', header: t('stats.bufferCancelled'), numeric: true, cell: (r) => tonnes(r.cancelled) },
              { key: 's', header: t('stats.shortfall'), numeric: true, cell: (r) => tonnes(r.shortfall) },
              { key: 'x', header: t('stats.description'), cell: (r) => r.description },
            ]}
          />
        )}
      </section>
    </div>
  );
}
