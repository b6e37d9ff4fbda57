/**
 * Xledger's timestamps (modifiedAt, createdAt) are CET/CEST wall-clock times without an offset
 * (xledger-api.md, H). Everything that turns an instant into such a string, or back, lives here
 * so that the time zone rule is written once. Uses Intl only: no time-zone library.
 * The client has its own (src/domain/cet.ts) on purpose: the simulator stands in for Xledger,
 * and sharing the client's conversion would hide a bug in it from every test.
 */

export const XLEDGER_TIME_ZONE = 'Europe/Oslo';

const osloFormatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: XLEDGER_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?$/;
const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * An instant as Oslo wall-clock time, "YYYY-MM-DDTHH:mm:ss": Xledger's timestamps carry no
 * fraction (H: Xledger's sample formats and parses exactly yyyy-MM-ddTHH:mm:ss).
 */
export function toCetWallClock(instant: Date): string {
  const parts: Record<string, string> = {};
  for (const part of osloFormatter.formatToParts(instant)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}`;
}

/** Today's date in Oslo, "YYYY-MM-DD": the day against which objectStatus is judged. */
export function cetToday(now: Date = new Date()): string {
  return toCetWallClock(now).slice(0, 10);
}

/** True for a real calendar date written YYYY-MM-DD (rejects 2024-02-31). */
export function isCalendarDate(value: string): boolean {
  const match = CALENDAR_DATE.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * Validates a wall-clock string and returns it to the second ("YYYY-MM-DDTHH:mm:ss", a fraction
 * dropped), the fixed width at which filters compare wall-clock strings lexically. Offsets ("Z",
 * "+01:00") are refused: Xledger's values carry none, and accepting one would silently mean
 * something else (A). Whether an input may carry a fraction is the scalars' decision.
 */
export function normalizeWallClock(value: string): string | null {
  const match = WALL_CLOCK.exec(value);
  if (!match) return null;
  if (!isCalendarDate(value.slice(0, 10))) return null;
  const [hour, minute, second] = [Number(match[4]), Number(match[5]), Number(match[6])];
  if (hour > 23 || minute > 59 || second > 59) return null;
  return value.slice(0, 19);
}

/** The instant at which Oslo's clock shows `wallClock` (the later one in the autumn overlap). */
export function cetWallClockToInstant(wallClock: string): Date {
  const normalized = normalizeWallClock(wallClock);
  if (!normalized) throw new Error(`Not a wall-clock time: ${wallClock}`);
  const asIfUtc = Date.parse(`${normalized}Z`);
  // Oslo is UTC+1 or UTC+2: correct the guess by the offset seen at the guess, twice.
  let instant = asIfUtc;
  for (let i = 0; i < 2; i++) {
    const shown = Date.parse(`${toCetWallClock(new Date(instant))}Z`);
    instant -= shown - asIfUtc;
  }
  return new Date(instant);
}

/** Calendar arithmetic on YYYY-MM-DD strings (time-zone free). */
export function addDays(date: string, days: number): string {
  const time = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(time).toISOString().slice(0, 10);
}
