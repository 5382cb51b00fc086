import { test } from "node:test";
import assert from "node:assert/strict";
import { FaultFileSystem } from "../../src/io/fault_fs.ts";
import { column, openEngine, wait } from "./_helpers.ts";
import { prng, testSeed } from "../_random.ts";
import type { Session } from "../../mod.ts";

for (let round = 0; round < 40; round++) {
  const seed = testSeed();
  test(`random moves in transactions conserve rows (seed ${seed})`, async () => {
    const random = prng(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
    const fs = new FaultFileSystem();
    const db = await openEngine("/db", { fs, autoCompact: random() < 0.5, commitIo: random() < 0.5 ? "async" : "blocking" });
    const uncertain = new Set<number>();
    const closeEarly = random() < 0.5;
    await db.sql`CREATE TABLE src (v INT NOT NULL) ENGINE=QUEUE`;
    await db.sql`CREATE TABLE dst (v INT NOT NULL) ENGINE=QUEUE`;
    const committed = new Set<number>();
    let next = 1;
    const worker = async () => {
      let s: Session = db.session();
      let pendingSrc: number[] = [];
      let inTxn = false;
      for (let step = 0; step < 40; step++) {
        const r = random();
        try {
          if (random() < 0.05) fs.failNextWrite(pick(["ENOSPC", "EIO"]));
          if (r < 0.2) {
            const v = next++;
            uncertain.add(v);
            await s.sql`INSERT INTO src VALUES (${v})`;
            if (inTxn) pendingSrc.push(v);
            else committed.add(v);
          } else if (r < 0.35) {
            if (!inTxn) { await s.sql`BEGIN`; inTxn = true; pendingSrc = []; }
          } else if (r < 0.6) {
            if (inTxn) {
              const got = await wait(s, ["src"], 0);
              if (got === 1) {
                const [row] = await s.sql`SELECT v FROM src`;
                if (row !== undefined) {
                  await s.sql`INSERT INTO dst VALUES (${row.v})`;
                  await s.sql`SELECT queue_end()`;
                }
              }
            }
          } else if (r < 0.75) {
            if (inTxn) {
              inTxn = false;
              const p = pendingSrc; pendingSrc = [];
              await s.sql`COMMIT`;
              for (const v of p) committed.add(v);
            }
          } else if (r < 0.85) {
            if (inTxn) { inTxn = false; pendingSrc = []; await s.sql`ROLLBACK`; }
          } else if (r < 0.9) {
            await s.close(); s = db.session(); inTxn = false; pendingSrc = [];
          } else if (r < 0.95) {
            await new Promise((resolve) => setTimeout(resolve, random() * 3));
          } else {
            await db.sql`SELECT queue_compact('src')`;
          }
        } catch (error) {
          const code = (error as { code?: string }).code;
          if (code === "ER_CLOSED") return;
          if (code === "ER_ERROR_ON_READ") { console.log("READ ERROR, closed:", db.closed); return; }
          if (code !== "ER_DISK_FULL" && code !== "ER_ERROR_ON_WRITE" && code !== "ER_LOCK_DEADLOCK") throw error;
          // a failed COMMIT rolled back; a failed statement left the transaction open
          if (inTxn && !s.inTransaction) { inTxn = false; pendingSrc = []; }
        }
      }
      if (inTxn) { await s.sql`ROLLBACK`; }
      await s.close();
    };
    const workers = Promise.all([worker(), worker(), worker()]);
    if (closeEarly) {
      await new Promise((resolve) => setTimeout(resolve, random() * 20));
      await db.close();
      await workers;
      const re = await openEngine("/db", { fs: fs.crash() });
      const src = column(await re.sql`SELECT v FROM src`, "v").map(Number);
      const dst = column(await re.sql`SELECT v FROM dst`, "v").map(Number);
      const all = [...src, ...dst];
      const missing = [...committed].filter((v) => !all.includes(v));
      const extra = all.filter((v) => !committed.has(v) && !uncertain.has(v));
      const dup = all.length !== new Set(all).size;
      assert.deepEqual({ missing, extra, dup }, { missing: [], extra: [], dup: false }, `seed ${seed}`);
      await re.close();
      return;
    }
    await workers;
    const check = async (label: string, d: typeof db) => {
      const src = column(await d.sql`SELECT v FROM src`, "v").map(Number);
      const dst = column(await d.sql`SELECT v FROM dst`, "v").map(Number);
      const all = [...src, ...dst].sort((a, b) => a - b);
      const expected = [...committed].sort((a, b) => a - b);
      // dst may hold a moved row whose queue_end was skipped (0.2): then it is in both.
      const missing = expected.filter((v) => !src.includes(v) && !dst.includes(v));
      const extra = all.filter((v) => !committed.has(v));
      const dupSrc = src.length !== new Set(src).size;
      const dupDst = dst.length !== new Set(dst).size;
      assert.deepEqual({ label, missing, extra, dupSrc, dupDst }, { label, missing: [], extra: [], dupSrc: false, dupDst: false }, `seed ${seed}`);
    };
    await check("live", db);
    await db.close();
    const re = await openEngine("/db", { fs: fs.crash() });
    await check("reopened", re);
    await re.close();
  });
}
