/**
 * Helpers for the foreign-language client tests (Go, Java, Perl): find a
 * toolchain, run a client program as a child process without blocking the
 * served database's event loop, and read the `pass N fail M` line it prints.
 *
 * tests/server/{go,jdbc,perl,relay}_test.ts → these helpers → child processes
 */

import { spawn, spawnSync } from "node:child_process";

/** What a child process printed and how it ended. */
export interface ChildResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `command args` to completion (asynchronously: the server runs in this process). */
export function runChild(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** True when `command args` runs and exits 0 (a probe at definition time). */
export function probe(command: string, args: string[], env?: Record<string, string>): boolean {
  const result = spawnSync(command, args, { env, stdio: "ignore", timeout: 60_000 });
  return result.status === 0;
}

/** The counts of a client's closing `pass N fail M` line, and its `FAIL …` lines. */
export function tally(result: ChildResult): { pass: number; fail: number; failures: string[] } {
  const match = /^pass (\d+) fail (\d+)$/m.exec(result.stdout);
  if (match === null) {
    throw new Error(
      `client printed no tally (exit ${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return {
    pass: Number(match[1]),
    fail: Number(match[2]),
    failures: result.stdout.split("\n").filter((line) => line.startsWith("FAIL")),
  };
}

/** Why the Perl client tests are skipped, or null when DBI and DBD::mysql load. */
export const perlMissing: string | null = probe("perl", ["-MDBI", "-MDBD::mysql", "-e", "1"])
  ? null
  : "perl with DBI and DBD::mysql not installed (apt-get install libdbd-mysql-perl)";
