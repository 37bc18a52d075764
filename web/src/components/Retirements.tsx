import { Link } from 'react-router';
import type { Retirement } from '../api/types';
import { useI18n } from '../i18n/i18n';
import { DataTable, type Column } from './DataTable';

type Row = Retirement & { batchId?: string };

export function RetirementsTable({ rows, showBatch, testId }: { rows: Row[]; showBatch?: boolean; testId?: string }) {
  const { t, te, lang, tonnes, dateTime } = useI18n();
  const columns: Column<Row>[] = [
    { key: 'date', header: t('ret.date'), rowHeader: true, cell: (r) => dateTime(r.retiredAt) },
    ...(showBatch
      ? [
          {
            key: 'batch',
            header: t('ret.batch'),
            cell: (r: Row) => (r.batchId ? <Link to={`/${lang}/batches/${encodeURIComponent(r.batchId)}`}>{r.batchId}</Link> : '–'),
          },
        ]
      : []),
    { key: 'qty', header: t('ret.quantity'), numeric: true, cell: (r) => tonnes(r.quantity) },
    {
      key: 'serials',
      header: t('ret.serials'),
      cell: (r) => (
        <ul className="plain serial-list">
          {r.serialRanges.map((s) => (
            <li key={s} className="serial">
              {s}
            </li>
          ))}
        </ul>
      ),
    },
    { key: 'beneficiary', header: t('ret.beneficiary'), cell: (r) => r.beneficiary || '–' },
    { key: 'purpose', header: t('ret.purpose'), cell: (r) => te('RetirementPurpose', r.purpose) },
    { key: 'year', header: t('ret.year'), numeric: true, cell: (r) => String(r.retirementYear) },
    { key: 'ndc', header: t('ret.ndc'), cell: (r) => (r.countsTowardJapanNdc ? t('common.yes') : t('common.no')) },
    {
      key: 'cert',
      header: t('ret.certificate'),
      cell: (r) => (
        <Link
          to={`/${lang}/certificates/${encodeURIComponent(r.certificateId)}`}
          data-testid="certificate-link"
          className="nowrap"
        >
          {t('ret.certificateLink', { id: r.certificateId })}
        </Link>
      ),
    },
  ];
  return <DataTable caption={t('project.retirements')} captionHidden columns={columns} rows={rows} rowKey={(r) => r.id} testId={testId} />;
}
