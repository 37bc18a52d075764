import type { ReactNode } from 'react';

export interface Column<R> {
  key: string;
  header: ReactNode;
  cell: (row: R) => ReactNode;
  numeric?: boolean;
  /** A row header (<th scope="row">): the column that names the row. */
  rowHeader?: boolean;
}

/** An accessible table: caption, column headers, a focusable scroll region for wide tables. */
export function DataTable<R>({
  caption,
  columns,
  rows,
  rowKey,
  captionHidden = false,
  testId,
}: {
  caption: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R, index: number) => string;
  captionHidden?: boolean;
  testId?: string;
}) {
  return (
    <div className="table-scroll" role="group" aria-label={caption} tabIndex={0}>
      <table data-testid={testId}>
        <caption className={captionHidden ? 'visually-hidden' : undefined}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? 'num' : undefined}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={rowKey(r, i)}>
              {columns.map((c) =>
                c.rowHeader ? (
                  <th key={c.key} scope="row" className={c.numeric ? 'num' : undefined}>
                    {c.cell(r)}
                  </th>
                ) : (
                  <td key={c.key} className={c.numeric ? 'num' : undefined}>
                    {c.cell(r)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
