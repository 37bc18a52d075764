import { Link } from 'react-router';
import type { Eligibility } from '../api/types';
import { useI18n } from '../i18n/i18n';

/** Rows: institutional uses; columns: batches; each cell says yes/no and the deciding rule's reason. */
export function EligibilityMatrix({ batches }: { batches: { id: string; eligibility: Eligibility[] }[] }) {
  const { t, te, lang } = useI18n();
  const uses = [...new Set(batches.flatMap((b) => b.eligibility.map((e) => e.use)))];
  if (uses.length === 0) return <p className="empty">{t('common.noData')}</p>;
  return (
    <div className="table-scroll" role="group" aria-label={t('project.eligibility')} tabIndex={0}>
      <table className="eligibility" data-testid="eligibility-table">
        <caption className="visually-hidden">{t('project.eligibility')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('eligible.use')}</th>
            {batches.map((b) => (
              <th key={b.id} scope="col">
                <Link to={`/${lang}/batches/${encodeURIComponent(b.id)}`}>{b.id}</Link>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {uses.map((u) => (
            <tr key={u}>
              <th scope="row">{te('InstitutionalUse', u)}</th>
              {batches.map((b) => {
                const e = b.eligibility.find((x) => x.use === u);
                return (
                  <td key={b.id} className={e ? (e.eligible ? 'ok' : 'ng') : undefined}>
                    {e ? (
                      <>
                        <strong>{e.eligible ? t('eligible.yes') : t('eligible.no')}</strong>
                        <span className="reason">{e.reason}</span>
                      </>
                    ) : (
                      '–'
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
