import { useEffect, useRef, type ReactNode } from 'react';
import type { ChartOption } from '../charts/types';
import { PALETTE } from '../charts/types';
import { useI18n } from '../i18n/i18n';
import { Empty } from './Status';

function countPoints(option: ChartOption): number {
  const series = Array.isArray(option.series) ? option.series : option.series ? [option.series] : [];
  return series.reduce((n, s) => n + (Array.isArray(s.data) ? s.data.length : 0), 0);
}

/**
 * An ECharts chart (canvas), loaded on demand. The container is an image with a text label; every
 * chart is paired with a table (ChartFigure), which is the accessible and keyboard alternative.
 */
export function Chart({ option, label, height = 320 }: { option: ChartOption; label: string; height?: number }) {
  const ref = useRef<HTMLDivElement>(null);
  const { locale } = useI18n();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let disposed = false;
    let chart: { dispose(): void; resize(): void } | undefined;
    let observer: ResizeObserver | undefined;
    delete el.dataset.rendered;
    void import('../charts/echarts').then(({ echarts }) => {
      if (disposed) return;
      const instance = echarts.init(el, undefined, { renderer: 'canvas' });
      chart = instance;
      instance.on('finished', () => {
        el.dataset.rendered = 'true';
      });
      instance.setOption({
        color: PALETTE,
        animation: false,
        textStyle: { fontFamily: 'inherit' },
        ...option,
        legend: option.legend ? { textStyle: { fontSize: 13, color: '#1b1f23' }, ...option.legend } : undefined,
        tooltip: option.tooltip ? { renderMode: 'richText', confine: true, ...option.tooltip } : undefined,
      } as ChartOption);
      observer = new ResizeObserver(() => instance.resize());
      observer.observe(el);
    });
    return () => {
      disposed = true;
      observer?.disconnect();
      chart?.dispose();
    };
  }, [option, locale]);
  return (
    <div
      ref={ref}
      className="chart"
      role="img"
      aria-label={label}
      data-testid="chart"
      data-points={countPoints(option)}
      style={{ height }}
    />
  );
}

/** A titled chart with its table alternative (a disclosure anyone can open by keyboard). */
export function ChartFigure({
  id,
  title,
  note,
  option,
  label,
  table,
  empty,
  height,
  level = 2,
}: {
  id: string;
  title: string;
  note?: ReactNode;
  option: ChartOption;
  label?: string;
  table: ReactNode;
  empty?: boolean;
  height?: number;
  level?: 2 | 3;
}) {
  const { t } = useI18n();
  const H = level === 2 ? 'h2' : 'h3';
  return (
    <section className="figure" aria-labelledby={id} data-testid={`figure-${id}`}>
      <H id={id}>{title}</H>
      {note && <p className="note">{note}</p>}
      {empty ? (
        <Empty>{t('common.noData')}</Empty>
      ) : (
        <>
          <Chart option={option} label={label ?? title} height={height} />
          <details className="table-alt">
            <summary>{t('common.showTable')}</summary>
            {table}
          </details>
        </>
      )}
    </section>
  );
}
