import { NotFoundBox, useTitle } from '../components/Status';
import { useI18n } from '../i18n/i18n';

export default function NotFound() {
  const { t } = useI18n();
  useTitle(t('notFound.title'));
  return <NotFoundBox />;
}
