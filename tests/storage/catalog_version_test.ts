/**
 * The catalog's version (src/storage/catalog.ts): version 2 is written
 * (schemas may hold DECIMAL, date, ENUM/SET and BIT columns) while no
 * database besides the default one exists, version 3 while one does;
 * version 1 catalogs of older databases are still read, a newer one is
 * refused.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { catalogVersion, decodeCatalog, encodeCatalog } from "../../src/storage/catalog.ts";
import { QueueError } from "../../src/errors.ts";
import { crc32c } from "../../src/storage/crc32c.ts";

const tables = [{ tableId: 1, name: "jobs", meta: { columns: [] } }];

test("the catalog is written as version 2, or 3 while it lists databases", () => {
  assert.equal(catalogVersion, 3);
  const two = decodeCatalog(encodeCatalog({ version: 3, nextTableId: 2, tables }), "c");
  assert.equal(two.version, 2);
  assert.equal(two.databases, undefined);
  const none = encodeCatalog({ version: 3, nextTableId: 2, tables, databases: [] });
  assert.equal(decodeCatalog(none, "c").version, 2);
  const three = decodeCatalog(
    encodeCatalog({ version: 2, nextTableId: 2, tables, databases: ["d1"] }),
    "c",
  );
  assert.equal(three.version, 3);
  assert.deepEqual(three.databases, ["d1"]);
});

test("a version 1 catalog (before the new column types) is still read", () => {
  const bytes = rawCatalog({ version: 1, nextTableId: 2, tables });
  assert.equal(decodeCatalog(bytes, "catalog.json").version, 1);
});

/** A catalog file with exactly `data` in it (encodeCatalog picks the version itself). */
function rawCatalog(data: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(data));
  const crc = crc32c(json).toString(16).padStart(8, "0");
  return new TextEncoder().encode(`${JSON.stringify(data)}\ncrc32c:${crc}\n`);
}

test("a catalog of a later version is ER_CORRUPT, not misread", () => {
  const bytes = rawCatalog({ version: 4, nextTableId: 2, tables });
  assert.throws(
    () => decodeCatalog(bytes, "catalog.json"),
    (error: unknown) => error instanceof QueueError && error.code === "ER_CORRUPT",
  );
});
