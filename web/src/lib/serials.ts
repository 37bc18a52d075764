// Serial numbers (docs/serials.md): PROGRAM-CC-PROJECT-VINTAGE-BATCH-START-END, START and END the
// batch's unit numbers. A unit serial has START = END; a range's last two parts are its first and
// last unit. Imported batches keep their origin registry's format; anything unparseable is null.

/** The [first, last] unit numbers a serial (unit or range) names, or null. */
export function unitsOf(serial: string): [number, number] | null {
  const parts = serial.trim().split('-');
  if (parts.length < 2) return null;
  const end = parts[parts.length - 1];
  const start = parts[parts.length - 2];
  if (!/^\d{1,15}$/.test(start) || !/^\d{1,15}$/.test(end)) return null;
  const a = Number(start);
  const b = Number(end);
  return a <= b ? [a, b] : null;
}

/** "JCR-JP-P1-2023-B1-000000000001-000000000001" -> "000000000001". */
export function shortUnit(serial: string): string {
  const u = unitsOf(serial);
  return u ? String(u[0]).padStart(12, '0') : serial;
}

export type SegmentStatus = 'buffer' | 'retired' | 'other';

export interface Segment {
  start: number;
  end: number;
  status: SegmentStatus;
}

/**
 * The batch's unit range cut into consecutive segments: the buffer at the lowest units (the
 * registry's rule, services/registry/domain/ledger.py), each retired range where it was recorded,
 * everything else `other` (held, locked, cancelled or NDC-used: the public graph gives only
 * quantities for those). Returns null when the batch's serials cannot be read.
 */
export function serialSegments(
  batch: { serialStart: string; serialEnd: string; bufferQuantity: number },
  retiredRanges: string[],
): Segment[] | null {
  const first = unitsOf(batch.serialStart);
  const last = unitsOf(batch.serialEnd);
  if (!first || !last) return null;
  const lo = first[0];
  const hi = last[1];
  if (hi < lo) return null;
  const marks: Segment[] = [];
  if (batch.bufferQuantity > 0) {
    marks.push({ start: lo, end: Math.min(hi, lo + batch.bufferQuantity - 1), status: 'buffer' });
  }
  for (const r of retiredRanges) {
    const u = unitsOf(r);
    if (!u) continue;
    const start = Math.max(lo, u[0]);
    const end = Math.min(hi, u[1]);
    if (start <= end) marks.push({ start, end, status: 'retired' });
  }
  marks.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Segment[] = [];
  let cursor = lo;
  for (const m of marks) {
    if (m.end < cursor) continue; // overlap: already covered
    const start = Math.max(m.start, cursor);
    if (start > cursor) out.push({ start: cursor, end: start - 1, status: 'other' });
    const prev = out[out.length - 1];
    if (prev && prev.status === m.status && prev.end === start - 1) prev.end = m.end;
    else out.push({ start, end: m.end, status: m.status });
    cursor = m.end + 1;
  }
  if (cursor <= hi) out.push({ start: cursor, end: hi, status: 'other' });
  return out;
}

export const segmentSize = (s: Segment): number => s.end - s.start + 1;
