import { describe, expect, it } from 'vitest';
import { en, ja } from './dict';

describe('dictionaries', () => {
  it('have the same keys and no empty label', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(ja).sort());
    for (const [k, v] of [...Object.entries(ja), ...Object.entries(en)]) expect(v.trim(), k).not.toBe('');
  });

  it('use the seed terms for retirement, cancellation, NDC use and SHK adjusted emissions', () => {
    const all = Object.values(ja).join('\n');
    for (const term of ['無効化', '取消', '償却', '調整後温室効果ガス排出量', '相当調整', '有効性審査', '検証']) {
      expect(all).toContain(term);
    }
  });

  it('keep the same placeholders in both languages', () => {
    const vars = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort();
    for (const k of Object.keys(ja) as (keyof typeof ja)[]) expect(vars(en[k]), k).toEqual(vars(ja[k]));
  });
});
