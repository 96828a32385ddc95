import type { Generated, Insertable, Selectable, Updateable } from "kysely";
import { bool, json } from "./database.js";

/**
 * How a domain model is kept in its table: the fields named `json` as JSON text (lists, objects), those named `bool`
 * as 0/1, those named `generated` filled by the database (an identity id, a default), the rest as they are. Table
 * types are derived from the planes' models with it (store/schema.ts), so a concept is declared once.
 */
export interface RowFormat<M> {
  json?: readonly (keyof M)[];
  bool?: readonly (keyof M)[];
  generated?: readonly (keyof M)[];
}

type Keys<F, P extends keyof RowFormat<unknown>> = F extends { [K in P]: readonly (infer E)[] } ? E : never;
type Column<V, IsJson, IsBool, IsGenerated> = IsJson extends true ? (null extends V ? string | null : string) : IsBool extends true ? number : IsGenerated extends true ? Generated<V> : V;

/** The row of a model `M` stored as `F` says. */
export type Row<M, F extends RowFormat<M>> = {
  [K in keyof M]: Column<M[K], K extends Keys<F, "json"> ? true : false, K extends Keys<F, "bool"> ? true : false, K extends Keys<F, "generated"> ? true : false>;
};

/** What a JSON column holds when an older row has nothing there. */
type Defaults<M, F extends RowFormat<M>> = { [K in Keys<F, "json"> & keyof M]?: M[K] };

/** The one mapping between a model and its row: both ways, and a partial change as the columns it sets. */
export interface RowMapping<M, R, G extends keyof M = never> {
  /** The row of a model (without the fields the database fills, when it has none yet). */
  toRow(model: Omit<M, G> & Partial<Pick<M, G>>): Insertable<R>;
  fromRow(row: Selectable<R>): M;
  toColumns(changes: Partial<M>): Updateable<R>;
}

/**
 * The mapping of a model stored as `format` says. A JSON column's object default is merged under what is stored
 * (an older row lacks the keys added since).
 */
export function rowMapping<M>() {
  return <const F extends RowFormat<M>>(format: F, defaults: Defaults<M, F> = {} as Defaults<M, F>): RowMapping<M, Row<M, F>, Keys<F, "generated"> & keyof M> => {
    const jsonKeys = new Set<PropertyKey>(format.json ?? []);
    const boolKeys = new Set<PropertyKey>(format.bool ?? []);
    const write = (key: PropertyKey, value: unknown) => (jsonKeys.has(key) ? (value === null ? null : json.write(value)) : boolKeys.has(key) ? bool.write(value as boolean) : value);
    const read = (key: PropertyKey, value: unknown) => {
      if (boolKeys.has(key)) return bool.read(value as number);
      if (!jsonKeys.has(key)) return value;
      const fallback = (defaults as Record<PropertyKey, unknown>)[key];
      const stored = json.read<unknown>(value as string | null, fallback ?? null);
      return isObject(fallback) && isObject(stored) ? { ...fallback, ...stored } : stored;
    };
    // A field left undefined (a partial change) sets no column. A plain loop: lists read thousands of rows.
    const map = (from: Record<string, unknown>, each: (key: PropertyKey, value: unknown) => unknown) => {
      const out: Record<string, unknown> = {};
      for (const key in from) if (from[key] !== undefined) out[key] = each(key, from[key]);
      return out;
    };
    return {
      toRow: (model) => map(model as Record<string, unknown>, write) as Insertable<Row<M, F>>,
      fromRow: (row) => map(row as Record<string, unknown>, read) as M,
      toColumns: (changes) => map(changes as Record<string, unknown>, write) as Updateable<Row<M, F>>,
    };
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
