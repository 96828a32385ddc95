import { Table, TableBody, TableCell, TableHeader, TableHeaderCell, TableRow } from "@fluentui/react-components";
import type { ReactNode } from "react";

/** A labelled table: the column names, and each row's key and cells in the same order. */
export function SimpleTable<T>(props: { label: string; columns: string[]; rows: T[]; rowKey: (row: T) => string | number; cells: (row: T) => ReactNode[] }) {
  return (
    <Table aria-label={props.label} size="small">
      <TableHeader>
        <TableRow>
          {props.columns.map((c) => (
            <TableHeaderCell key={c}>{c}</TableHeaderCell>
          ))}
        </TableRow>
      </TableHeader>
      <TableBody>
        {props.rows.map((row) => (
          <TableRow key={props.rowKey(row)}>
            {props.cells(row).map((cell, i) => (
              <TableCell key={props.columns[i]}>{cell}</TableCell>
            ))}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
