import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQuery } from '../api/client';
import { INSTRUMENT_QUERY, MARKET_QUERY } from '../api/queries';
import {
  CATEGORIES,
  type DailyBar,
  type Instrument,
  type MarketStatistics,
  type PricePoint,
  type Tender,
  type Trade,
} from '../api/types';
import { STATUS_COLOURS, type ChartOption } from '../charts/types';
import { ChartFigure } from '../components/Chart';
import { DataTable } from '../components/DataTable';
import { Empty, ErrorBox, Loading, useTitle } from '../components/Status';
import { useI18n, type I18n } from '../i18n/i18n';
import { weightedMedian } from '../lib/stats';

interface MarketData {
  instruments: Instrument[];
  creditMarketStatistics: { prices: PricePoint[] };
}

interface InstrumentData {
  marketData: {
    phase: string;
    lastPrice: string | null;
    bestBid: string | null;
    bestAsk: string | null;
    volume: number;
    volume24h: number;
    vwap: string | null;
    dailyBars: DailyBar[];
  };
  trades: Trade[];
  tenders: Tender[];
  marketStatistics: MarketStatistics;
}

function PriceIndex({ prices, i }: { prices: PricePoint[]; i: I18n }) {
  const { t, te, money, date, tonnes, int } = i;
  const series = useMemo(() => {
    const keys = [...new Set(prices.map((p) => `${p.category}|${p.currency}`))].sort(
      (a, b) => CATEGORIES.indexOf(a.split('|')[0] as never) - CATEGORIES.indexOf(b.split('|')[0] as never),
    );
    return keys.map((k) => {
      const [category, currency] = k.split('|');
      return {
        category,
        currency,
        points: prices.filter((p) => p.category === category && p.currency === currency).sort((a, b) => a.day.localeCompare(b.day)),
      };
    });
  }, [prices]);
  const multiCurrency = new Set(series.map((s) => s.currency)).size > 1;
  const name = (s: { category: string; currency: string }) =>
    `${te('CreditCategory', s.category, true)}${multiCurrency ? ` (${s.currency})` : ''}`;
  // One category per trading day (JST), so the axis never shows hours or repeats a day.
  const days = [...new Set(prices.map((p) => p.day))].sort();
  const option: ChartOption = {
    grid: { left: 16, right: 24, top: 48, bottom: 24, containLabel: true },
    legend: { top: 0, type: 'plain' },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: days.map((d) => date(d)), axisLabel: { hideOverlap: true } },
    yAxis: { type: 'value', scale: true, axisLabel: { formatter: (v: number) => i.num(v, 0) } },
    series: series.map((s) => ({
      type: 'line' as const,
      name: name(s),
      showSymbol: true,
      symbolSize: 6,
      connectNulls: true,
      data: days.map((d) => {
        const point = s.points.find((p) => p.day === d);
        return point ? Number(point.vwap) : null;
      }),
      tooltip: { valueFormatter: (v: unknown) => money(Number(v), s.currency) },
    })),
  };
  const rows = [...prices].sort((a, b) => b.day.localeCompare(a.day) || a.category.localeCompare(b.category));
  return (
    <ChartFigure
      id="price-index"
      title={t('market.priceIndex')}
      note={t('market.priceIndexNote')}
      option={option}
      empty={prices.length === 0}
      table={
        <DataTable
          caption={t('market.priceIndex')}
          rows={rows}
          rowKey={(r) => `${r.day}|${r.category}|${r.currency}`}
          columns={[
            { key: 'day', header: t('market.day'), rowHeader: true, cell: (r) => date(r.day) },
            { key: 'cat', header: t('batch.category'), cell: (r) => te('CreditCategory', r.category, true) },
            { key: 'vwap', header: t('market.vwap'), numeric: true, cell: (r) => money(r.vwap, r.currency) },
            { key: 'vol', header: t('market.volume'), numeric: true, cell: (r) => tonnes(r.volume) },
            { key: 'n', header: t('market.tradeCount'), numeric: true, cell: (r) => int(r.tradeCount) },
          ]}
        />
      }
    />
  );
}

function InstrumentDetail({ instrument, i }: { instrument: Instrument; i: I18n }) {
  const { t, te, money, date, dateTime, tonnes, int } = i;
  const q = useQuery<InstrumentData>(INSTRUMENT_QUERY, { id: instrument.id });
  const cur = instrument.currency;
  const bars = useMemo(
    () => [...(q.data?.marketData.dailyBars ?? [])].sort((a, b) => a.tradingDay.localeCompare(b.tradingDay)),
    [q.data],
  );
  if (q.error) return <ErrorBox error={q.error} onRetry={q.reload} />;
  if (q.loading || !q.data) return <Loading />;
  const { marketData: md, trades, tenders, marketStatistics: ms } = q.data;

  const days = bars.map((b) => date(b.tradingDay));
  const ohlc: ChartOption = {
    grid: [
      { left: 16, right: 24, top: 36, height: '52%', containLabel: true },
      { left: 16, right: 24, top: '72%', bottom: 24, containLabel: true },
    ],
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: [
      { type: 'category', data: days, gridIndex: 0, axisLabel: { show: false } },
      { type: 'category', data: days, gridIndex: 1, axisLabel: { hideOverlap: true } },
    ],
    yAxis: [
      { type: 'value', scale: true, gridIndex: 0, axisLabel: { formatter: (v: number) => i.num(v, 0) } },
      { type: 'value', gridIndex: 1, axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
    ],
    series: [
      {
        type: 'candlestick',
        name: `${t('market.open')}/${t('market.high')}/${t('market.low')}/${t('market.close')}`,
        // ECharts order: open, close, low, high. Rising days green, falling orange (colour-blind safe).
        data: bars.map((b) => [Number(b.open), Number(b.close), Number(b.low), Number(b.high)]),
        itemStyle: { color: '#009E73', color0: '#D55E00', borderColor: '#00795a', borderColor0: '#a84400' },
        barMaxWidth: 28,
        xAxisIndex: 0,
        yAxisIndex: 0,
      },
      {
        type: 'bar',
        name: t('market.volume'),
        data: bars.map((b) => b.volume),
        itemStyle: { color: '#0072B2' },
        barMaxWidth: 28,
        xAxisIndex: 1,
        yAxisIndex: 1,
        tooltip: { valueFormatter: (v: unknown) => tonnes(Number(v)) },
      },
    ],
  };

  const venues: { key: string; label: string; volume: number; vwap: string | null; otc?: boolean }[] = [
    { key: 'exchange', label: t('market.venue.exchange'), volume: ms.exchangeVolume, vwap: ms.exchangeVwap },
    { key: 'tender', label: t('market.venue.tender'), volume: ms.tenderVolume, vwap: null },
    { key: 'otc', label: t('market.venue.otc'), volume: ms.otcVolume, vwap: ms.otcVwap, otc: true },
  ];
  const venueOption: ChartOption = {
    grid: { left: 16, right: 32, top: 16, bottom: 16, containLabel: true },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'value', axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
    yAxis: { type: 'category', data: venues.map((v) => v.label), inverse: true },
    series: [
      {
        type: 'bar',
        name: t('market.volume'),
        data: venues.map((v) => ({
          value: v.volume,
          itemStyle: v.otc
            ? { color: '#ffffff', borderColor: STATUS_COLOURS.otc, borderWidth: 2, borderType: 'dashed' as const }
            : { color: '#0072B2' },
        })),
        label: { show: true, position: 'right', formatter: (p: { value: unknown }) => int(Number(p.value)) },
        tooltip: { valueFormatter: (v: unknown) => tonnes(Number(v)) },
      },
    ],
  };

  const tenderRows = [...tenders].sort((a, b) => b.closesAt.localeCompare(a.closesAt));
  const tenderOption: ChartOption = {
    grid: { left: 16, right: 16, top: 40, bottom: 24, containLabel: true },
    legend: { top: 0 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: [...tenderRows].reverse().map((r) => date(r.closesAt.slice(0, 10))) },
    yAxis: [
      { type: 'value', axisLabel: { formatter: (v: number) => i.compact(v), hideOverlap: true } },
      { type: 'value', scale: true, axisLabel: { formatter: (v: number) => i.num(v, 0) } },
    ],
    series: [
      { type: 'bar', name: t('market.tender.offered'), data: [...tenderRows].reverse().map((r) => r.offeredQuantity), itemStyle: { color: '#BFD8C8' } },
      { type: 'bar', name: t('market.tender.sold'), data: [...tenderRows].reverse().map((r) => r.soldQuantity ?? 0), itemStyle: { color: '#0072B2' } },
      {
        type: 'line',
        name: t('market.tender.avg'),
        yAxisIndex: 1,
        data: [...tenderRows].reverse().map((r) => (r.averageWinningPrice == null ? null : Number(r.averageWinningPrice))),
        itemStyle: { color: '#D55E00' },
        tooltip: { valueFormatter: (v: unknown) => money(Number(v), cur) },
      },
    ],
  };

  return (
    <div className="instrument" data-testid="instrument-detail">
      <h2 id="instrument-h">{instrument.name}</h2>
      <dl className="kpis small">
        <div className="kpi">
          <dt>{t('market.last')}</dt>
          <dd>{money(md.lastPrice, cur)}</dd>
        </div>
        <div className="kpi">
          <dt>{t('market.bid')}</dt>
          <dd>{money(md.bestBid, cur)}</dd>
        </div>
        <div className="kpi">
          <dt>{t('market.ask')}</dt>
          <dd>{money(md.bestAsk, cur)}</dd>
        </div>
        <div className="kpi">
          <dt>{t('market.vwap')}</dt>
          <dd>{money(md.vwap, cur)}</dd>
        </div>
        <div className="kpi">
          <dt>{t('market.volume24h')}</dt>
          <dd>{tonnes(md.volume24h)}</dd>
        </div>
        <div className="kpi">
          <dt>{t('market.phase')}</dt>
          <dd>{te('Phase', md.phase)}</dd>
        </div>
      </dl>

      <ChartFigure
        id="ohlc"
        level={3}
        title={`${t('market.ohlc')} — ${instrument.name}`}
        option={ohlc}
        height={380}
        empty={bars.length === 0}
        table={
          <DataTable
            caption={t('market.ohlc')}
            rows={[...bars].reverse()}
            rowKey={(b) => b.tradingDay}
            testId="ohlc-table"
            columns={[
              { key: 'd', header: t('market.day'), rowHeader: true, cell: (b) => date(b.tradingDay) },
              { key: 'o', header: t('market.open'), numeric: true, cell: (b) => money(b.open, cur) },
              { key: 'h', header: t('market.high'), numeric: true, cell: (b) => money(b.high, cur) },
              { key: 'l', header: t('market.low'), numeric: true, cell: (b) => money(b.low, cur) },
              { key: 'c', header: t('market.close'), numeric: true, cell: (b) => money(b.close, cur) },
              { key: 'v', header: t('market.volume'), numeric: true, cell: (b) => tonnes(b.volume) },
              { key: 'w', header: t('market.vwap'), numeric: true, cell: (b) => money(b.vwap, cur) },
              { key: 'n', header: t('market.tradeCount'), numeric: true, cell: (b) => int(b.tradeCount) },
            ]}
          />
        }
      />

      <section aria-labelledby="trades-h">
        <h3 id="trades-h">{t('market.trades')}</h3>
        {trades.length === 0 ? (
          <Empty>{t('market.noTrades')}</Empty>
        ) : (
          <DataTable
            caption={t('market.trades')}
            captionHidden
            rows={trades}
            rowKey={(r) => r.id}
            testId="trades-table"
            columns={[
              { key: 'at', header: t('market.executedAt'), rowHeader: true, cell: (r) => dateTime(r.executedAt) },
              { key: 'p', header: t('market.price'), numeric: true, cell: (r) => money(r.price, cur) },
              { key: 'q', header: t('market.quantity'), numeric: true, cell: (r) => tonnes(r.quantity) },
              { key: 's', header: t('market.source'), cell: (r) => te('TradeSource', r.source) },
              { key: 'st', header: t('market.settled'), cell: (r) => (r.settled ? t('market.settledYes') : t('market.settledNo')) },
            ]}
          />
        )}
      </section>

      <ChartFigure
        id="tenders"
        level={3}
        title={t('market.tenders')}
        note={t('market.tenderNote')}
        option={tenderOption}
        empty={tenders.length === 0}
        table={
          <DataTable
            caption={t('market.tenders')}
            rows={tenderRows}
            rowKey={(r) => r.id}
            testId="tenders-table"
            columns={[
              { key: 'c', header: t('market.tender.closesAt'), rowHeader: true, cell: (r) => dateTime(r.closesAt) },
              { key: 's', header: t('market.tender.status'), cell: (r) => te('TenderStatus', r.status) },
              { key: 'o', header: t('market.tender.offered'), numeric: true, cell: (r) => tonnes(r.offeredQuantity) },
              { key: 'sold', header: t('market.tender.sold'), numeric: true, cell: (r) => tonnes(r.soldQuantity) },
              { key: 'b', header: t('market.tender.bids'), numeric: true, cell: (r) => int(r.bidCount) },
              { key: 'min', header: t('market.tender.min'), numeric: true, cell: (r) => money(r.minimumPrice, cur) },
              { key: 'avg', header: t('market.tender.avg'), numeric: true, cell: (r) => money(r.averageWinningPrice, cur) },
              { key: 'med', header: t('market.tender.median'), numeric: true, cell: (r) => money(weightedMedian(r.awards), cur) },
            ]}
          />
        }
      />

      <ChartFigure
        id="venues"
        level={3}
        title={t('market.venues')}
        note={
          <span className="otc-flag" data-testid="otc-flag">
            <span className="badge otc">OTC</span> {t('market.otcFlag')}
          </span>
        }
        option={venueOption}
        height={200}
        table={
          <DataTable
            caption={t('market.venues')}
            rows={venues}
            rowKey={(v) => v.key}
            testId="venues-table"
            columns={[
              {
                key: 'v',
                header: t('market.source'),
                rowHeader: true,
                cell: (v) => (v.otc ? <>{v.label} <span className="badge otc">OTC</span></> : v.label),
              },
              { key: 'q', header: t('market.volume'), numeric: true, cell: (v) => tonnes(v.volume) },
              { key: 'w', header: t('market.vwap'), numeric: true, cell: (v) => money(v.vwap, cur) },
              { key: 'n', header: t('market.otcReports'), numeric: true, cell: (v) => (v.otc ? int(ms.otcReportCount) : '–') },
            ]}
          />
        }
      />
    </div>
  );
}

export default function Market() {
  const i = useI18n();
  const { t, te, money } = i;
  useTitle(t('market.title'));
  const [params] = useSearchParams();
  const q = useQuery<MarketData>(MARKET_QUERY);
  if (q.error) return <ErrorBox error={q.error} onRetry={q.reload} />;
  if (q.loading || !q.data) return <Loading />;
  const { instruments, creditMarketStatistics } = q.data;
  const selected = instruments.find((x) => x.id === params.get('instrument')) ?? instruments[0];

  return (
    <div className="market" data-testid="market-page">
      <h1>{t('market.title')}</h1>
      <p className="lead">{t('market.lead')}</p>
      <PriceIndex prices={creditMarketStatistics.prices} i={i} />

      <section aria-labelledby="instruments-h">
        <h2 id="instruments-h">{t('market.instruments')}</h2>
        {instruments.length === 0 ? (
          <Empty>{t('market.noInstruments')}</Empty>
        ) : (
          <DataTable
            caption={t('market.instruments')}
            captionHidden
            rows={instruments}
            rowKey={(r) => r.id}
            testId="instruments-table"
            columns={[
              {
                key: 'n',
                header: t('market.instrument'),
                rowHeader: true,
                cell: (r) => (
                  <Link
                    to={`?instrument=${encodeURIComponent(r.id)}`}
                    aria-current={r.id === selected?.id ? 'true' : undefined}
                    preventScrollReset
                  >
                    {r.name}
                  </Link>
                ),
              },
              { key: 'm', header: t('market.mode'), cell: (r) => te('Mode', r.mode) },
              { key: 'l', header: t('market.last'), numeric: true, cell: (r) => money(r.lastPrice, r.currency) },
              { key: 'b', header: t('market.bid'), numeric: true, cell: (r) => money(r.bestBid, r.currency) },
              { key: 'a', header: t('market.ask'), numeric: true, cell: (r) => money(r.bestAsk, r.currency) },
            ]}
          />
        )}
      </section>
      {selected && <InstrumentDetail key={selected.id} instrument={selected} i={i} />}
    </div>
  );
}
