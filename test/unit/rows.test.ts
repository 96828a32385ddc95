import { describe, expect, it } from "vitest";
import { rowMapping } from "../../src/store/rows.js";

interface Thing {
  id: number;
  name: string;
  enabled: boolean;
  tags: string[];
  settings: { a: number; b: number };
  files: Record<string, string> | null;
}

const THING_ROWS = rowMapping<Thing>()({ json: ["tags", "settings", "files"], bool: ["enabled"], generated: ["id"] }, { tags: [], settings: { a: 1, b: 2 } });

describe("a model's row mapping (store/rows.ts)", () => {
  it("stores lists and objects as JSON text and booleans as 0/1, and reads them back", () => {
    const thing: Thing = { id: 7, name: "n", enabled: true, tags: ["x"], settings: { a: 3, b: 4 }, files: { "/a": "b" } };
    const row = THING_ROWS.toRow(thing);
    expect(row).toEqual({ id: 7, name: "n", enabled: 1, tags: '["x"]', settings: '{"a":3,"b":4}', files: '{"/a":"b"}' });
    expect(THING_ROWS.fromRow(row as never)).toEqual(thing);
  });

  it("keeps a null JSON column null, and leaves out what the database fills", () => {
    expect(THING_ROWS.toRow({ name: "n", enabled: false, tags: [], settings: { a: 1, b: 2 }, files: null })).toEqual({ name: "n", enabled: 0, tags: "[]", settings: '{"a":1,"b":2}', files: null });
  });

  it("reads an older row's missing JSON as the default, an object's missing keys from it", () => {
    expect(THING_ROWS.fromRow({ id: 1, name: "n", enabled: 0, tags: "", settings: '{"a":9}', files: null })).toEqual({ id: 1, name: "n", enabled: false, tags: [], settings: { a: 9, b: 2 }, files: null });
  });

  it("turns a partial change into the columns it sets, and no others", () => {
    expect(THING_ROWS.toColumns({ enabled: false, tags: ["y"], name: undefined })).toEqual({ enabled: 0, tags: '["y"]' });
  });
});
