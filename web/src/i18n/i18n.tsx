import { createContext, useContext, useMemo } from 'react';
import { en, ja, type MessageKey } from './dict';

export type Lang = 'ja' | 'en';
export const LANGS: readonly Lang[] = ['ja', 'en'];
export const isLang = (v: string | undefined): v is Lang => v === 'ja' || v === 'en';

const DICTS: Record<Lang, Record<MessageKey, string>> = { ja, en };
const LOCALE: Record<Lang, string> = { ja: 'ja-JP', en: 'en-GB' };
/** Prices and trading days are published in Japan time (the exchange's day is JST). */
export const TIME_ZONE = 'Asia/Tokyo';

export interface I18n {
  lang: Lang;
  locale: string;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  /** A label for an enum value of the public schema; falls back to the raw value. */
  te: (enumName: string, value: string | null | undefined, short?: boolean) => string;
  int: (n: number | null | undefined) => string;
  /** Short axis labels: 1.2万 / 12K. */
  compact: (n: number) => string;
  tonnes: (n: number | null | undefined) => string;
  num: (n: number | string | null | undefined, digits?: number) => string;
  money: (n: number | string | null | undefined, currency: string) => string;
  percent: (ratio: number) => string;
  date: (isoDate: string | null | undefined) => string;
  /** A vintage: the year when it is one whole calendar year, else the date range. */
  vintage: (start: string, end: string) => string;
  dateTime: (iso: string | null | undefined) => string;
  country: (code: string | null | undefined) => string;
}

export function makeI18n(lang: Lang): I18n {
  const dict = DICTS[lang];
  const locale = LOCALE[lang];
  const intFmt = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const compactFmt = new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 });
  const pctFmt = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 });
  // A Date scalar is a calendar day: format it in UTC so it never shifts by a time zone.
  const dateFmt = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' });
  // Every time is shown in Japan time, labelled JST in both languages (en-GB would say GMT+9).
  const dateTimeFmt = new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: lang === 'ja' ? '2-digit' : 'short',
    day: lang === 'ja' ? '2-digit' : 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: TIME_ZONE,
  });
  let regions: Intl.DisplayNames | null = null;
  try {
    regions = new Intl.DisplayNames([locale], { type: 'region' });
  } catch {
    regions = null;
  }
  const moneyFmts = new Map<string, Intl.NumberFormat>();
  const t: I18n['t'] = (key, vars) => {
    const text: string = dict[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
  return {
    lang,
    locale,
    t,
    te: (enumName, value, short) => {
      if (value == null) return '–';
      const key = `${short ? 'enumShort' : 'enum'}.${enumName}.${value}` as MessageKey;
      if (key in dict) return dict[key];
      const long = `enum.${enumName}.${value}` as MessageKey;
      return long in dict ? dict[long] : value;
    },
    int: (n) => (n == null ? '–' : intFmt.format(n)),
    compact: (n) => compactFmt.format(n),
    tonnes: (n) => (n == null ? '–' : `${intFmt.format(n)} ${dict['common.tonnes']}`),
    num: (n, digits = 2) => {
      if (n == null || n === '') return '–';
      const v = typeof n === 'string' ? Number(n) : n;
      return Number.isFinite(v) ? new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(v) : String(n);
    },
    money: (n, currency) => {
      if (n == null || n === '') return '–';
      const v = typeof n === 'string' ? Number(n) : n;
      if (!Number.isFinite(v)) return String(n);
      let f = moneyFmts.get(currency);
      if (!f) {
        try {
          f = new Intl.NumberFormat(locale, { style: 'currency', currency, maximumFractionDigits: 2 });
        } catch {
          f = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
        }
        moneyFmts.set(currency, f);
      }
      return f.format(v);
    },
    percent: (ratio) => pctFmt.format(ratio),
    date: (iso) => {
      if (!iso) return '–';
      const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
      return Number.isNaN(d.getTime()) ? iso : dateFmt.format(d);
    },
    vintage: (start, end) => {
      if (start.slice(5) === '01-01' && end.slice(5) === '12-31' && start.slice(0, 4) === end.slice(0, 4)) return start.slice(0, 4);
      return `${start ? dateFmt.format(new Date(`${start}T00:00:00Z`)) : '–'} – ${end ? dateFmt.format(new Date(`${end}T00:00:00Z`)) : '–'}`;
    },
    dateTime: (iso) => {
      if (!iso) return '–';
      const d = new Date(iso);
      return Number.isNaN(d.getTime()) ? iso : `${dateTimeFmt.format(d)} JST`;
    },
    country: (code) => {
      if (!code) return '–';
      try {
        const name = regions?.of(code.toUpperCase());
        return name && name !== code ? name : code;
      } catch {
        return code;
      }
    },
  };
}

const I18nContext = createContext<I18n>(makeI18n('ja'));

export function I18nProvider({ lang, children }: { lang: Lang; children: React.ReactNode }) {
  const value = useMemo(() => makeI18n(lang), [lang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export const useI18n = (): I18n => useContext(I18nContext);
