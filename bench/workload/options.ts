/**
 * Command-line options of the standard workload, parsed from `--flag value`
 * arguments. Shared by every runner (`bench/peers/run.ts`, issue 4's bench).
 *
 * @module
 */

/** Rows per workload by default (W1 inserts them, W2 drains them). */
export const rowCountDefault = 20_000;
/** Rows per workload with `--quick`: CI-sized. */
export const rowCountQuick = 2_000;
/** Message body length by default, in bytes (the VARCHAR(96) of the spec). */
export const bodyBytesDefault = 96;
/** Concurrent producers by default. */
export const producerCountDefault = 16;
/** Concurrent consumers by default. */
export const consumerCountDefault = 16;
/** How long one consume call waits for a message before returning null. */
export const pollMsDefault = 250;
/** A run with no delivery for this long gives up and reports the losses. */
export const stallMsDefault = 15_000;
/** Rows per multi-row insert when filling a deep backlog. */
export const backlogBatchRowCountDefault = 1_000;

/** The workloads, in the order they run. */
export type WorkloadName = "w1" | "w2" | "w3" | "backlog";

/** Everything a workload run is parameterised by. */
export interface WorkloadOptions {
  /** Messages in W1, W2 and W3. */
  rowCount: number;
  /** Length of every body, in bytes. */
  bodyBytes: number;
  /** Concurrent producers. */
  producerCount: number;
  /** Concurrent consumers. */
  consumerCount: number;
  /** Messages in the deep-backlog run; 0 skips it. */
  backlogRowCount: number;
  /** Rows per produceMany call when filling the backlog. */
  backlogBatchRowCount: number;
  /** Timeout of one consume call, in ms. */
  pollMs: number;
  /** Give up after this long without a delivery, in ms. */
  stallMs: number;
  /** Workloads to run. */
  workloads: WorkloadName[];
  /** Directory under which each run makes its own temporary directory. */
  baseDir: string | undefined;
}

/** Options of a runner that are not about the workload itself. */
export interface RunnerOptions {
  /** The workload's options. */
  workload: WorkloadOptions;
  /** Write the results as JSON to this path. */
  jsonPath: string | undefined;
  /** Systems to run (runner-defined keys); empty means all. */
  systemKeys: string[];
  /** True with `--quick`. */
  quick: boolean;
}

/** What `--help` prints. */
export const usageText = `options:
  --quick               ${rowCountQuick} rows instead of ${rowCountDefault}
  --rows N              rows in W1/W2/W3
  --body-bytes N        body length (default ${bodyBytesDefault})
  --producers N         concurrent producers (default ${producerCountDefault})
  --consumers N         concurrent consumers (default ${consumerCountDefault})
  --backlog N           also run the deep backlog: insert N rows, then drain
  --workloads LIST      comma-separated subset of w1,w2,w3,backlog
  --systems LIST        comma-separated subset of the runner's systems
  --dir PATH            where temporary queue directories go (default: OS tmpdir)
  --json PATH           also write the results as JSON
  --poll-ms N           consume timeout (default ${pollMsDefault})
  --stall-ms N          give up after N ms without a delivery (default ${stallMsDefault})`;

function positiveInteger(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !Number.isInteger(value) || value < 0) {
    throw new Error(`${flag} needs a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

function list(text: string | undefined): string[] {
  return (text ?? "").split(",").map((item) => item.trim().toLowerCase()).filter((item) =>
    item !== ""
  );
}

const workloadNames: readonly WorkloadName[] = ["w1", "w2", "w3", "backlog"];

/**
 * Parses runner arguments. Throws an Error naming the bad flag.
 *
 * @example
 * ```ts
 * const options = parseRunnerArgs(["--quick", "--json", "out.json"]);
 * options.workload.rowCount; // 2000
 * ```
 */
export function parseRunnerArgs(args: readonly string[]): RunnerOptions {
  let quick = false;
  let rowCount: number | undefined;
  let bodyBytes = bodyBytesDefault;
  let producerCount = producerCountDefault;
  let consumerCount = consumerCountDefault;
  let backlogRowCount = 0;
  let pollMs = pollMsDefault;
  let stallMs = stallMsDefault;
  let workloads: WorkloadName[] | undefined;
  let systemKeys: string[] = [];
  let baseDir: string | undefined;
  let jsonPath: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const flag = args[index];
    const next = (): string | undefined => args[++index];
    switch (flag) {
      case "--quick":
        quick = true;
        break;
      case "--rows":
        rowCount = positiveInteger(flag, next());
        break;
      case "--body-bytes":
        bodyBytes = positiveInteger(flag, next());
        break;
      case "--producers":
        producerCount = positiveInteger(flag, next());
        break;
      case "--consumers":
        consumerCount = positiveInteger(flag, next());
        break;
      case "--backlog":
        backlogRowCount = positiveInteger(flag, next());
        break;
      case "--poll-ms":
        pollMs = positiveInteger(flag, next());
        break;
      case "--stall-ms":
        stallMs = positiveInteger(flag, next());
        break;
      case "--workloads": {
        const names = list(next());
        for (const name of names) {
          if (!workloadNames.includes(name as WorkloadName)) {
            throw new Error(`--workloads takes ${workloadNames.join(",")}, got ${name}`);
          }
        }
        workloads = names as WorkloadName[];
        break;
      }
      case "--systems":
        systemKeys = list(next());
        break;
      case "--dir":
        baseDir = next();
        break;
      case "--json":
        jsonPath = next();
        break;
      default:
        throw new Error(`unknown option ${flag}\n${usageText}`);
    }
  }
  if (bodyBytes < 1) throw new Error("--body-bytes must be at least 1");
  if (producerCount < 1 || consumerCount < 1) {
    throw new Error("--producers and --consumers must be at least 1");
  }
  const workload: WorkloadOptions = {
    rowCount: rowCount ?? (quick ? rowCountQuick : rowCountDefault),
    bodyBytes,
    producerCount,
    consumerCount,
    backlogRowCount,
    backlogBatchRowCount: backlogBatchRowCountDefault,
    pollMs,
    stallMs,
    workloads: workloads ??
      (backlogRowCount > 0 ? ["w1", "w2", "w3", "backlog"] : ["w1", "w2", "w3"]),
    baseDir,
  };
  if (workload.workloads.includes("backlog") && backlogRowCount === 0) {
    throw new Error("--workloads backlog needs --backlog N");
  }
  return { workload, jsonPath, systemKeys, quick };
}
