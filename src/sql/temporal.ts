/**
 * MySQL's temporal values (DATE, DATETIME/TIMESTAMP, TIME): parsing text and
 * numbers with strict-mode validation, MySQL's text and numeric forms,
 * comparison, INTERVAL arithmetic, and the statement clock behind NOW().
 *
 * q4d has no time zone setting: every clock reading and every TIMESTAMP is
 * UTC (as a MySQL server with `time_zone = '+00:00'`). Calendar math is
 * proleptic Gregorian on whole days, never JS `Date`, so years 1..9999 are
 * exact.
 *
 * @module
 */

import { assert, defined } from "../errors.ts";
import { Decimal, roundDecimal } from "./decimal.ts";

/** Which temporal type a value has at run time (TIMESTAMP values are "datetime"). */
export type TemporalKind = "date" | "datetime" | "time";

/** Longest text parsed as a date or time; longer is no valid value (and bounds regex work). */
const temporalTextLengthMax = 64;
/** Most digits of fractional seconds (MySQL's fsp limit). */
export const fspMax = 6;
/** TIME's range in seconds either side of zero: 838:59:59. */
const timeSecondsMax = 838 * 3600 + 59 * 60 + 59;
const secondsPerDay = 86400;
/** Seconds from 1970-01-01 of 0000-01-01 and of 10000-01-01 (the range is years 0..9999). */
const datetimeSecondsMin = daysFromCivil(0, 1, 1) * secondsPerDay;
const datetimeSecondsEnd = daysFromCivil(10000, 1, 1) * secondsPerDay;

/**
 * A DATE, DATETIME or TIME value: `seconds` since 1970-01-01 00:00:00 UTC
 * (DATE: at midnight) or, for TIME, signed seconds; plus `micros`
 * (0..999999, always added). `fsp` is how many fraction digits it prints.
 *
 * @example
 * ```ts
 * console.log(String(parseDateTime("2024-1-2 3:04:05", "datetime"))); // "2024-01-02 03:04:05"
 * ```
 */
export class Temporal {
  /** DATE, DATETIME (also TIMESTAMP) or TIME. */
  readonly kind: TemporalKind;
  /** Whole seconds (see the class comment). */
  readonly seconds: number;
  /** Microseconds added to `seconds`, 0..999999. */
  readonly micros: number;
  /** Fraction digits shown, 0..6. */
  readonly fsp: number;

  /** A value; callers check the range. */
  constructor(kind: TemporalKind, seconds: number, micros: number, fsp: number) {
    assert(Number.isSafeInteger(seconds), "temporal seconds are an integer");
    assert(Number.isInteger(micros) && micros >= 0 && micros < 1e6, "micros within a second");
    assert(Number.isInteger(fsp) && fsp >= 0 && fsp <= fspMax, "fsp within 0..6");
    this.kind = kind;
    this.seconds = seconds;
    this.micros = micros;
    this.fsp = fsp;
  }

  /** MySQL's text: `YYYY-MM-DD`, `YYYY-MM-DD hh:mm:ss[.f]`, `[-]hh:mm:ss[.f]`. */
  toString(): string {
    if (this.kind === "time") return timeText(this);
    const days = Math.floor(this.seconds / secondsPerDay);
    const [year, month, day] = civilFromDays(days);
    const date = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
    if (this.kind === "date") return date;
    const second = this.seconds - days * secondsPerDay;
    return `${date} ${clockText(second)}${fractionText(this.micros, this.fsp)}`;
  }

  /**
   * MySQL's numeric form: YYYYMMDD, YYYYMMDDhhmmss or hhmmss, an integer
   * when `fsp` is 0, else a decimal with `fsp` digits.
   */
  toNumeric(): number | Decimal {
    let whole: number;
    if (this.kind === "time") {
      const negative = this.seconds < 0;
      const total = negative ? -(this.seconds + (this.micros > 0 ? 1 : 0)) : this.seconds;
      const hours = Math.floor(total / 3600);
      whole = hours * 10000 + Math.floor((total % 3600) / 60) * 100 + (total % 60);
      const micros = negative && this.micros > 0 ? 1e6 - this.micros : this.micros;
      return numeric(negative ? -1 : 1, whole, micros, this.fsp);
    }
    const days = Math.floor(this.seconds / secondsPerDay);
    const [year, month, day] = civilFromDays(days);
    whole = year * 10000 + month * 100 + day;
    if (this.kind === "date") return whole;
    const second = this.seconds - days * secondsPerDay;
    whole = whole * 1000000 + Math.floor(second / 3600) * 10000 +
      Math.floor((second % 3600) / 60) * 100 + (second % 60);
    return numeric(1, whole, this.micros, this.fsp);
  }
}

function numeric(sign: number, whole: number, micros: number, fsp: number): number | Decimal {
  if (fsp === 0) return sign * whole === 0 ? 0 : sign * whole;
  const unscaled = BigInt(whole) * 1000000n + BigInt(micros);
  return roundDecimal(new Decimal(BigInt(sign) * unscaled, 6), fsp);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

function clockText(secondOfDay: number): string {
  return `${pad(Math.floor(secondOfDay / 3600), 2)}:${
    pad(Math.floor((secondOfDay % 3600) / 60), 2)
  }:${pad(secondOfDay % 60, 2)}`;
}

function fractionText(micros: number, fsp: number): string {
  return fsp === 0 ? "" : "." + pad(micros, 6).slice(0, fsp);
}

function timeText(value: Temporal): string {
  let seconds = value.seconds;
  let micros = value.micros;
  const negative = seconds < 0;
  if (negative && micros > 0) {
    seconds += 1;
    micros = 1e6 - micros;
  }
  const total = Math.abs(seconds);
  const hours = Math.floor(total / 3600);
  const rest = `${pad(Math.floor((total % 3600) / 60), 2)}:${pad(total % 60, 2)}`;
  return `${negative ? "-" : ""}${pad(hours, 2)}:${rest}${fractionText(micros, value.fsp)}`;
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) +
    dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/** The date `days` after 1970-01-01: [year, month, day]. */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const dayOfEra = z - era * 146097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36524) -
      Math.floor(dayOfEra / 146096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) -
    Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [era * 400 + yearOfEra + (month <= 2 ? 1 : 0), month, day];
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Days in a month of a year. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeap(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Fraction digits as microseconds, rounded half up; 1e6 means carry a second. */
function fractionMicros(digits: string): number {
  if (digits === "") return 0;
  const padded = (digits + "000000").slice(0, 7);
  return Math.floor((Number(padded) + 5) / 10);
}

function twoDigitYear(text: string): number {
  const year = Number(text);
  return text.length <= 2 ? (year < 70 ? 2000 + year : 1900 + year) : year;
}

const delimitedDate =
  /^\s*(\d{1,4})[-/.:](\d{1,2})[-/.:](\d{1,2})(?:(?:[ T]+)(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?(?:\.(\d*))?)?\s*$/;
const compactDate = /^\s*(\d{2}|\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2}))?(?:\.(\d*))?\s*$/;

/**
 * A date or datetime from text (`2024-01-02`, `2024/1/2 3:04:05.5`,
 * `20240102`, `20240102030405`, 2-digit years as MySQL), or null when the
 * text is not a valid date (zero month or day included). `kind` is the
 * result's kind: a DATE drops the time part (the caller decides whether
 * that is allowed), a DATETIME has time 00:00:00 when none is written.
 * The fraction is kept to 6 digits (rounded), shown with `fsp` digits.
 */
export function parseDateTime(
  text: string,
  kind: "date" | "datetime",
  fsp: number = 0,
): Temporal | null {
  if (text.length > temporalTextLengthMax) return null;
  const match = delimitedDate.exec(text) ?? compactDate.exec(text);
  if (match === null) return null;
  const year = twoDigitYear(defined(match[1], "both date patterns capture the year"));
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4] ?? 0);
  const minute = Number(match[5] ?? 0);
  const second = Number(match[6] ?? 0);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  let seconds = daysFromCivil(year, month, day) * secondsPerDay;
  if (kind === "date") return new Temporal("date", seconds, 0, 0);
  let micros = fractionMicros(match[7] ?? "");
  seconds += hour * 3600 + minute * 60 + second;
  if (micros === 1e6) {
    seconds += 1;
    micros = 0;
  }
  if (seconds >= datetimeSecondsEnd) return null;
  return roundFsp(new Temporal("datetime", seconds, micros, fsp), fsp);
}

const delimitedTime = /^\s*(-)?(?:(\d+)\s+)?(\d+):(\d{1,2})(?::(\d{1,2}))?(?:\.(\d*))?\s*$/;
const compactTime = /^\s*(-)?(\d+)(?:\.(\d*))?\s*$/;

/**
 * A TIME from text (`[-][D ]hh:mm[:ss][.f]`, or packed `[-]hhmmss[.f]`,
 * `mmss`, `ss`), or null when invalid or beyond ±838:59:59.
 */
export function parseTime(text: string, fsp: number = 0): Temporal | null {
  let negative: boolean;
  let hours: number;
  let minutes: number;
  let secs: number;
  let fraction: string;
  if (text.length > temporalTextLengthMax) return null;
  const match = delimitedTime.exec(text);
  if (match !== null) {
    negative = match[1] === "-";
    hours = Number(match[2] ?? 0) * 24 + Number(match[3]);
    minutes = Number(match[4]);
    secs = Number(match[5] ?? 0);
    fraction = match[6] ?? "";
  } else {
    const packed = compactTime.exec(text);
    // More than 10 digits is beyond 838:59:59 (and beyond exact doubles).
    if (packed === null || packed[2] === undefined || packed[2].length > 10) return null;
    negative = packed[1] === "-";
    const digits = Number(packed[2]);
    hours = Math.floor(digits / 10000);
    minutes = Math.floor(digits / 100) % 100;
    secs = digits % 100;
    fraction = packed[3] ?? "";
  }
  if (minutes > 59 || secs > 59) return null;
  let total = hours * 3600 + minutes * 60 + secs;
  let micros = fractionMicros(fraction);
  if (micros === 1e6) {
    total += 1;
    micros = 0;
  }
  if (total > timeSecondsMax || (total === timeSecondsMax && micros > 0)) return null;
  return roundFsp(timeOf(negative, total, micros, fsp), fsp);
}

function timeOf(negative: boolean, total: number, micros: number, fsp: number): Temporal {
  if (!negative) return new Temporal("time", total, micros, fsp);
  return micros === 0
    ? new Temporal("time", total === 0 ? 0 : -total, 0, fsp)
    : new Temporal("time", -total - 1, 1e6 - micros, fsp);
}

/** `value` rounded (half up) to `fsp` fraction digits and shown with them. */
export function roundFsp(value: Temporal, fsp: number): Temporal {
  const unit = 10 ** (fspMax - fsp);
  let micros = Math.floor((value.micros + unit / 2) / unit) * unit;
  let seconds = value.seconds;
  if (micros >= 1e6) {
    seconds += 1;
    micros -= 1e6;
  }
  return new Temporal(value.kind, seconds, micros, fsp);
}

/** Whether a date/datetime lies in MySQL's range (years 0..9999; TIME is checked on parse). */
export function inDateRange(value: Temporal): boolean {
  return value.seconds >= datetimeSecondsMin && value.seconds < datetimeSecondsEnd;
}

/**
 * A number as a date/datetime: YYYYMMDD, YYMMDD, YYYYMMDDhhmmss (MySQL's
 * numeric form), or null.
 */
export function numberToDateTime(
  value: number | bigint | Decimal,
  kind: "date" | "datetime",
  fsp: number = 0,
): Temporal | null {
  const text = String(value);
  if (text.startsWith("-")) return null;
  const [whole = "", fraction] = text.split(".");
  let digits = whole;
  if (digits.length === 5 || digits.length === 7) digits = "0" + digits;
  if (digits.length === 11 || digits.length === 13) digits = "0" + digits;
  if (digits.length !== 6 && digits.length !== 8 && digits.length !== 12 && digits.length !== 14) {
    return null;
  }
  if (digits.length === 12) digits = String(twoDigitYear(digits.slice(0, 2))) + digits.slice(2);
  if (digits.length === 6) digits = String(twoDigitYear(digits.slice(0, 2))) + digits.slice(2);
  return parseDateTime(fraction === undefined ? digits : `${digits}.${fraction}`, kind, fsp);
}

/** A date or time as a DATETIME (a DATE at midnight); TIME is today's date plus the time. */
export function asDateTime(value: Temporal): Temporal {
  if (value.kind === "datetime") return value;
  if (value.kind === "date") return new Temporal("datetime", value.seconds, 0, 0);
  const today = Math.floor(statementNowMicros() / 1e6 / secondsPerDay) * secondsPerDay;
  return new Temporal("datetime", today + value.seconds, value.micros, value.fsp);
}

/** Compares two temporal values: TIME with TIME as times, otherwise as datetimes. */
export function compareTemporals(a: Temporal, b: Temporal): number {
  if (a.kind !== b.kind && (a.kind === "time" || b.kind === "time")) {
    a = asDateTime(a);
    b = asDateTime(b);
  }
  if (a.seconds !== b.seconds) return a.seconds < b.seconds ? -1 : 1;
  return a.micros < b.micros ? -1 : a.micros > b.micros ? 1 : 0;
}

/** The statement clock: microseconds since the epoch, read once per synchronous run. */
let frozenNowMicros: number | null = null;

/**
 * Reads the system (wall) clock in microseconds since 1970 UTC, to the
 * millisecond: NOW(6) ends in 000. The monotonic clock would give
 * microseconds but drifts from the wall clock that MySQL reports.
 */
function systemClockMicros(): number {
  return Date.now() * 1000;
}

/** The clock NOW() reads: the system clock, or a test's (one per process). */
let clockMicros: () => number = systemClockMicros;

/**
 * Replaces the clock NOW() reads (microseconds since 1970 UTC), for tests
 * of time-based conditions; `null` restores the system clock.
 *
 * @example
 * ```ts
 * setClock(() => 0);
 * console.log(String(now(0))); // "1970-01-01 00:00:00"
 * setClock(null);
 * ```
 */
export function setClock(clock: (() => number) | null): void {
  clockMicros = clock ?? systemClockMicros;
  frozenNowMicros = null;
}

/**
 * The current time in microseconds since 1970 UTC, the same for everything
 * evaluated in one synchronous run (so NOW() is one value within a
 * statement, as MySQL); the next run reads the clock again.
 */
export function statementNowMicros(): number {
  if (frozenNowMicros === null) {
    frozenNowMicros = clockMicros();
    queueMicrotask(() => {
      frozenNowMicros = null;
    });
  }
  return frozenNowMicros;
}

/** NOW(fsp) / CURRENT_TIMESTAMP(fsp): the statement's time as a DATETIME, truncated to `fsp`. */
export function now(fsp: number): Temporal {
  const micros = statementNowMicros();
  const seconds = Math.floor(micros / 1e6);
  const unit = 10 ** (fspMax - fsp);
  return new Temporal(
    "datetime",
    seconds,
    Math.floor((micros - seconds * 1e6) / unit) * unit,
    fsp,
  );
}

/** CURDATE(): the statement's date. */
export function currentDate(): Temporal {
  const days = Math.floor(statementNowMicros() / 1e6 / secondsPerDay);
  return new Temporal("date", days * secondsPerDay, 0, 0);
}

/** CURTIME(fsp): the statement's time of day. */
export function currentTime(fsp: number): Temporal {
  const current = now(fsp);
  const second = current.seconds - Math.floor(current.seconds / secondsPerDay) * secondsPerDay;
  return new Temporal("time", second, current.micros, fsp);
}

/** The interval units q4d supports (MySQL's simple ones). */
export type IntervalUnit =
  | "MICROSECOND"
  | "SECOND"
  | "MINUTE"
  | "HOUR"
  | "DAY"
  | "WEEK"
  | "MONTH"
  | "QUARTER"
  | "YEAR";

/** The unit names INTERVAL accepts. */
export const intervalUnits: ReadonlySet<string> = new Set([
  "MICROSECOND",
  "SECOND",
  "MINUTE",
  "HOUR",
  "DAY",
  "WEEK",
  "MONTH",
  "QUARTER",
  "YEAR",
]);

const unitSeconds: Record<string, number> = {
  MINUTE: 60,
  HOUR: 3600,
  DAY: secondsPerDay,
  WEEK: 7 * secondsPerDay,
};

/**
 * `value + INTERVAL amount unit` (MySQL's DATE_ADD): null when the result
 * leaves years 0..9999. A DATE stays a DATE for DAY and larger units;
 * SECOND takes a fraction (kept exactly to microseconds); other units round
 * the amount half away from zero, as MySQL. MONTH/QUARTER/YEAR clamp the
 * day to the month's end (Jan 31 + 1 MONTH = Feb 28/29).
 */
export function addInterval(value: Temporal, amount: Decimal, unit: IntervalUnit): Temporal | null {
  let deltaMicros = 0n;
  let months = 0n;
  if (unit === "SECOND") {
    deltaMicros = roundDecimal(amount, 6).unscaled;
  } else {
    const whole = roundDecimal(amount, 0).unscaled;
    if (unit === "MICROSECOND") deltaMicros = whole;
    else if (unit === "MONTH") months = whole;
    else if (unit === "QUARTER") months = whole * 3n;
    else if (unit === "YEAR") months = whole * 12n;
    else deltaMicros = whole * BigInt(defined(unitSeconds[unit], "a unit of seconds")) * 1000000n;
  }
  if (value.kind === "time") {
    if (months !== 0n) return null;
    const total = BigInt(value.seconds) * 1000000n + BigInt(value.micros) + deltaMicros;
    const limit = BigInt(timeSecondsMax) * 1000000n;
    if (total > limit || total < -limit) return null;
    const seconds = Number(total >= 0n ? total / 1000000n : -((-total + 999999n) / 1000000n));
    return new Temporal("time", seconds, Number(total - BigInt(seconds) * 1000000n), value.fsp);
  }
  let seconds = value.seconds;
  if (months !== 0n) {
    const days = Math.floor(seconds / secondsPerDay);
    const [year, month, day] = civilFromDays(days);
    const monthIndex = BigInt(year) * 12n + BigInt(month - 1) + months;
    if (monthIndex < 0n || monthIndex >= 10000n * 12n) return null;
    const newYear = Number(monthIndex / 12n);
    const newMonth = Number(monthIndex % 12n) + 1;
    const newDay = Math.min(day, daysInMonth(newYear, newMonth));
    seconds = daysFromCivil(newYear, newMonth, newDay) * secondsPerDay +
      (seconds - days * secondsPerDay);
  }
  const total = BigInt(seconds) * 1000000n + BigInt(value.micros) + deltaMicros;
  if (
    total < BigInt(datetimeSecondsMin) * 1000000n || total >= BigInt(datetimeSecondsEnd) * 1000000n
  ) return null;
  const newSeconds = Number(total >= 0n ? total / 1000000n : -((-total + 999999n) / 1000000n));
  const micros = Number(total - BigInt(newSeconds) * 1000000n);
  const keepsDate = value.kind === "date" &&
    (unit === "DAY" || unit === "WEEK" || unit === "MONTH" || unit === "QUARTER" ||
      unit === "YEAR");
  if (keepsDate) return new Temporal("date", newSeconds, 0, 0);
  const fsp = unit === "MICROSECOND" || (unit === "SECOND" && amount.scale > 0)
    ? Math.max(value.fsp, unit === "MICROSECOND" ? 6 : Math.min(amount.scale, 6))
    : value.fsp;
  return new Temporal("datetime", newSeconds, micros, fsp);
}

/** UNIX_TIMESTAMP(value): seconds since 1970 UTC, with the value's fraction digits. */
export function unixTimestamp(value: Temporal): number | Decimal {
  const datetime = asDateTime(value);
  if (datetime.fsp === 0) return datetime.seconds;
  const unscaled = BigInt(datetime.seconds) * 1000000n + BigInt(datetime.micros);
  return roundDecimal(new Decimal(unscaled, 6), datetime.fsp);
}

/** FROM_UNIXTIME(seconds): a DATETIME (UTC), fraction digits from the argument's scale; null when out of range. */
export function fromUnixTime(seconds: Decimal): Temporal | null {
  if (seconds.unscaled < 0n) return null;
  const fsp = Math.min(seconds.decimals, fspMax);
  const micros = roundDecimal(seconds, 6).unscaled;
  const whole = Number(micros / 1000000n);
  if (whole >= datetimeSecondsEnd) return null;
  return roundFsp(new Temporal("datetime", whole, Number(micros % 1000000n), fsp), fsp);
}

/** A JS Date as a DATETIME(3) in UTC, or null when invalid or outside years 0..9999. */
export function dateToTemporal(date: Date): Temporal | null {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) return null;
  const seconds = Math.floor(ms / 1000);
  const value = new Temporal("datetime", seconds, (ms - seconds * 1000) * 1000, 3);
  return inDateRange(value) ? value : null;
}
