import type { ReactNode } from 'react';

/** A definition list of label/value facts. */
export function Facts({ items, testId, wide = [] }: { items: [ReactNode, ReactNode][]; testId?: string; wide?: number[] }) {
  return (
    <dl className="facts" data-testid={testId}>
      {items.map(([k, v], i) => (
        <div key={i} className={wide.includes(i) || wide.includes(i - items.length) ? 'fact fact-wide' : 'fact'}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
