import { describe, expect, it } from 'vitest';
import { serialSegments, unitsOf } from './serials';
import { cumulative, stockByProgram, weightedMedian } from './stats';

const batch = {
  serialStart: 'JCR-JP-P1-2023-B1-000000000001-000000000001',
  serialEnd: 'JCR-JP-P1-2023-B1-000000001000-000000001000',
  bufferQuantity: 100,
};

describe('serials', () => {
  it('reads the unit numbers of unit and range serials', () => {
    expect(unitsOf('JCR-JP-P1-2023-B1-000000000007-000000000007')).toEqual([7, 7]);
    expect(unitsOf('VCS-ET-1340-2020-B9-000941467007-000941467431')).toEqual([941467007, 941467431]);
    expect(unitsOf('not a serial')).toBeNull();
  });

  it('places the buffer at the lowest units and retired ranges where recorded', () => {
    const segs = serialSegments(batch, ['JCR-JP-P1-2023-B1-000000000201-000000000300'])!;
    expect(segs).toEqual([
      { start: 1, end: 100, status: 'buffer' },
      { start: 101, end: 200, status: 'other' },
      { start: 201, end: 300, status: 'retired' },
      { start: 301, end: 1000, status: 'other' },
    ]);
  });

  it('merges adjacent retired ranges and covers every unit exactly once', () => {
    const segs = serialSegments({ ...batch, bufferQuantity: 0 }, [
      'JCR-JP-P1-2023-B1-000000000011-000000000020',
      'JCR-JP-P1-2023-B1-000000000001-000000000010',
    ])!;
    expect(segs[0]).toEqual({ start: 1, end: 20, status: 'retired' });
    expect(segs.reduce((s, x) => s + x.end - x.start + 1, 0)).toBe(1000);
  });
});

describe('stats', () => {
  it('takes the tonne-weighted median of tender awards', () => {
    expect(weightedMedian([{ price: '1000', quantity: 10 }, { price: '3000', quantity: 1 }])).toBe(1000);
    expect(weightedMedian([{ price: '1000', quantity: 5 }, { price: '2000', quantity: 5 }])).toBe(1500);
    expect(weightedMedian([])).toBeNull();
  });

  it('accumulates issuance by year', () => {
    const v = (year: number, quantity: number) =>
      ({ year, quantity, program: 'JCM', creditType: 'REDUCTION', category: 'GLOBAL' }) as const;
    expect(cumulative([v(2022, 5), v(2021, 10), v(2022, 1)])).toEqual([
      { year: 2021, quantity: 10, total: 10 },
      { year: 2022, quantity: 6, total: 16 },
    ]);
  });

  it('adds buffer cancellations back when computing credits in circulation', () => {
    const b = {
      id: 'B1', issuedAt: '2024-01-01T00:00:00Z', vintageStart: '2023-01-01', issuedQuantity: 1000,
      bufferQuantity: 100, retiredQuantity: 330, creditType: 'REMOVAL', basis: 'NATURE', category: 'GLOBAL',
      correspondingAdjustment: false, project: { id: 'P1', program: { id: 'VCS' }, methodology: { code: 'M', title: 'M' } },
    } as const;
    const pools = new Map([['VCS', { programId: 'VCS', bufferIssued: 100, cancelledForReversals: 30, remaining: 70, reversals: [] }]]);
    const [row] = stockByProgram([b], pools);
    expect(row.circulating).toBe(600);
    expect(row.bufferRemaining).toBe(70);
  });
});
