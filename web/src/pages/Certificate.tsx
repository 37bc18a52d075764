import { Link, useParams } from 'react-router';
import { useQuery } from '../api/client';
import { CERTIFICATE_BATCH_QUERY, CERTIFICATE_QUERY } from '../api/queries';
import type { Certificate, CertificateVerification, CreditBasis, CreditCategory, CreditType } from '../api/types';
import { Facts } from '../components/Facts';
import { ErrorBox, Loading, NotFoundBox, useTitle } from '../components/Status';
import type { MessageKey } from '../i18n/dict';
import { useI18n } from '../i18n/i18n';

interface CertBatch {
  id: string;
  vintageStart: string;
  vintageEnd: string;
  category: CreditCategory;
  creditType: CreditType;
  basis: CreditBasis;
  correspondingAdjustment: boolean;
  project: { id: string; name: string; country: string; program: { id: string; name: string }; methodology: { code: string; title: string } };
}

const KINDS = ['RETIREMENT', 'CANCELLATION', 'NDC_USE'];

export default function CertificatePage() {
  const { t, te, lang, tonnes, date, dateTime, country } = useI18n();
  const { certificateId = '' } = useParams();
  const q = useQuery<{ certificate: Certificate | null; verifyCertificate: CertificateVerification | null }>(CERTIFICATE_QUERY, {
    id: certificateId,
  });
  const cert = q.data?.certificate;
  const batchQ = useQuery<{ creditBatch: CertBatch | null }>(CERTIFICATE_BATCH_QUERY, { id: cert?.batchId }, !cert);
  const kind = cert && KINDS.includes(cert.kind) ? cert.kind : 'RETIREMENT';
  useTitle(cert ? `${t(`cert.title.${kind}` as MessageKey)} ${cert.id}` : undefined);

  if (q.error) return <ErrorBox error={q.error} onRetry={q.reload} />;
  if (q.loading) return <Loading />;
  if (!cert) return <NotFoundBox />;
  const v = q.data?.verifyCertificate;
  const batch = batchQ.data?.creditBatch;
  const purpose =
    kind === 'CANCELLATION' ? te('CancellationPurpose', cert.purpose) : te('RetirementPurpose', cert.purpose);

  return (
    <article className="certificate" data-testid="certificate-page">
      <p className="breadcrumb no-print">
        <Link to={`/${lang}/batches/${encodeURIComponent(cert.batchId)}`}>{t('cert.batch')} {cert.batchId}</Link>
      </p>
      <div className="cert-sheet">
        <p className="cert-issuer">{t('site.title')}</p>
        <h1>{t(`cert.title.${kind}` as MessageKey)}</h1>
        <p className="cert-number">
          {t('cert.id')}: <strong>{cert.id}</strong>
        </p>
        <p className="cert-statement">
          {t('cert.statement', { date: dateTime(cert.occurredAt), kind: t(`cert.verb.${kind}` as MessageKey) })}
        </p>
        <Facts
          testId="certificate-facts"
          items={[
            [t('cert.quantity'), <strong>{tonnes(cert.quantity)}</strong>],
            [t('cert.beneficiary'), cert.beneficiary || '–'],
            [t('cert.purpose'), purpose],
            [t('cert.year'), cert.retirementYear != null ? String(cert.retirementYear) : '–'],
            [t('cert.occurredAt'), dateTime(cert.occurredAt)],
            [
              t('cert.batch'),
              <Link to={`/${lang}/batches/${encodeURIComponent(cert.batchId)}`}>{cert.batchId}</Link>,
            ],
            ...(batch
              ? ([
                  [
                    t('cert.project'),
                    <Link to={`/${lang}/projects/${encodeURIComponent(batch.project.id)}`}>
                      {batch.project.name} ({country(batch.project.country)})
                    </Link>,
                  ],
                  [t('cert.program'), batch.project.program.name],
                  [t('project.methodology'), `${batch.project.methodology.code} — ${batch.project.methodology.title}`],
                  [t('cert.vintage'), `${date(batch.vintageStart)} – ${date(batch.vintageEnd)}`],
                  [t('batch.type'), `${te('CreditType', batch.creditType)} · ${te('CreditBasis', batch.basis)}`],
                  [t('batch.category'), te('CreditCategory', batch.category)],
                  [t('batch.ca'), batch.correspondingAdjustment ? t('batch.caYes') : t('batch.caNo')],
                ] as [string, React.ReactNode][])
              : []),
          ]}
        />
        <h2>{t('cert.serials')}</h2>
        <ul className="plain serial-list">
          {cert.serialRanges.map((s) => (
            <li key={s} className="serial">
              {s}
            </li>
          ))}
        </ul>
        <section
          className={`verification ${v?.valid ? 'valid' : 'invalid'}`}
          aria-labelledby="verify-h"
          data-testid="verification"
          data-valid={v?.valid ? 'true' : 'false'}
        >
          <h2 id="verify-h">{t('cert.verification')}</h2>
          <p className="verdict">
            <span aria-hidden="true">{v?.valid ? '✔ ' : '✖ '}</span>
            {v?.valid ? t('cert.valid') : t('cert.invalid')}
          </p>
          <Facts
            items={[
              [t('cert.journalSequence'), String(v?.journalSequence ?? cert.journalSequence)],
              [t('cert.journalHash'), <code className="hash">{v?.journalHash ?? cert.journalHash}</code>],
              ...(v?.problem ? ([[t('cert.problem'), v.problem]] as [string, string][]) : []),
            ]}
          />
        </section>
      </div>
      <p className="no-print">
        <button type="button" onClick={() => window.print()}>
          {t('common.print')}
        </button>
      </p>
    </article>
  );
}
