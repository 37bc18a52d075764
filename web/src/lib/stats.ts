import type { BatchStat, BufferPool, MarketVolume } from '../api/types';

/** Tonne-weighted median price of a tender's awards (the price of the middle tonne sold). */
export function weightedMedian(awards: { price: string; quantity: number }[] | null | undefined): number | null {
  if (!awards || awards.length === 0) return null;
  const sorted = awards
    .map((a) => ({ price: Number(a.price), quantity: a.quantity }))
    .filter((a) => Number.isFinite(a.price) && a.quantity > 0)
    .sort((a, b) => a.price - b.price);
  const total = sorted.reduce((s, a) => s + a.quantity, 0);
  if (total === 0) return null;
  const half = total / 2;
  let seen = 0;
  for (let i = 0; i < sorted.length; i++) {
    seen += sorted[i].quantity;
    if (seen > half) return sorted[i].price;
    if (seen === half) return (sorted[i].price + sorted[i + 1].price) / 2;
  }
  return sorted[sorted.length - 1].price;
}

/** A year × key matrix: rows sorted by year, keys in first-seen order (or `keyOrder`). */
export interface Matrix {
  years: number[];
  keys: string[];
  value: (year: number, key: string) => number;
}

export function pivot<T>(
  rows: T[],
  year: (r: T) => number,
  key: (r: T) => string,
  qty: (r: T) => number,
  keyOrder?: string[],
): Matrix {
  const cells = new Map<string, number>();
  const years = new Set<number>();
  const keys = new Set<string>(keyOrder ?? []);
  for (const r of rows) {
    const y = year(r);
    const k = key(r);
    years.add(y);
    keys.add(k);
    cells.set(`${y}|${k}`, (cells.get(`${y}|${k}`) ?? 0) + qty(r));
  }
  const usedKeys = [...keys].filter((k) => [...years].some((y) => cells.has(`${y}|${k}`)));
  return {
    years: [...years].sort((a, b) => a - b),
    keys: usedKeys,
    value: (y, k) => cells.get(`${y}|${k}`) ?? 0,
  };
}

export function sumBy<T>(rows: T[], key: (r: T) => string, qty: (r: T) => number): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of rows) out.set(key(r), (out.get(key(r)) ?? 0) + qty(r));
  return out;
}

export const yearOf = (isoDate: string): number => Number(isoDate.slice(0, 4));

/** Cumulative issuance by year from the reporting service's volumes. */
export function cumulative(volumes: MarketVolume[]): { year: number; quantity: number; total: number }[] {
  const byYear = sumBy(volumes, (v) => String(v.year), (v) => v.quantity);
  let total = 0;
  return [...byYear.entries()]
    .map(([y, q]) => ({ year: Number(y), quantity: q }))
    .sort((a, b) => a.year - b.year)
    .map((r) => ({ ...r, total: (total += r.quantity) }));
}

export interface StockRow {
  program: string;
  issued: number;
  buffer: number;
  outOfCirculation: number;
  bufferCancelled: number;
  circulating: number;
  bufferRemaining: number;
}

/**
 * Unused credits per program. `retiredQuantity` counts every unit out of circulation, buffer
 * units cancelled for reversals included, so those are added back before subtracting the buffer.
 */
export function stockByProgram(batches: BatchStat[], pools: Map<string, BufferPool>): StockRow[] {
  const rows = new Map<string, StockRow>();
  for (const b of batches) {
    const p = b.project.program.id;
    const r =
      rows.get(p) ??
      ({ program: p, issued: 0, buffer: 0, outOfCirculation: 0, bufferCancelled: 0, circulating: 0, bufferRemaining: 0 } as StockRow);
    r.issued += b.issuedQuantity;
    r.buffer += b.bufferQuantity;
    r.outOfCirculation += b.retiredQuantity;
    rows.set(p, r);
  }
  for (const r of rows.values()) {
    const pool = pools.get(r.program);
    r.bufferCancelled = pool?.cancelledForReversals ?? 0;
    r.bufferRemaining = pool ? pool.remaining : r.buffer;
    r.circulating = Math.max(0, r.issued - r.buffer - r.outOfCirculation + r.bufferCancelled);
  }
  return [...rows.values()].sort((a, b) => b.issued - a.issued);
}
