/**
 * The catalog's version (src/storage/catalog.ts): version 2 is written
 * (schemas may hold DECIMAL, date, ENUM/SET and BIT columns), version 1
 * catalogs of older databases are still read, a newer one is refused.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { catalogVersion, decodeCatalog, encodeCatalog } from "../../src/storage/catalog.ts";
import { QueueError } from "../../src/errors.ts";

const tables = [{ tableId: 1, name: "jobs", meta: { columns: [] } }];

test("the catalog is written as version 2", () => {
  assert.equal(catalogVersion, 2);
});

test("a version 1 catalog (before the new column types) is still read", () => {
  const bytes = encodeCatalog({ version: 1, nextTableId: 2, tables });
  assert.equal(decodeCatalog(bytes, "catalog.json").version, 1);
});

test("a catalog of a later version is ER_CORRUPT, not misread", () => {
  const bytes = encodeCatalog({ version: 3, nextTableId: 2, tables });
  assert.throws(
    () => decodeCatalog(bytes, "catalog.json"),
    (error: unknown) => error instanceof QueueError && error.code === "ER_CORRUPT",
  );
});
