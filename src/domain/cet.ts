/**
 * Xledger's `modifiedAt`/`createdAt` are CET/CEST wall-clock times without an offset and
 * without a fraction: `yyyy-MM-ddTHH:mm:ss` (H: Xledger's sample, Utils/Dates.cs, formats and
 * parses exactly that). We never turn them into instants: high-water marks are the wall-clock
 * strings Xledger returned, and the safety overlap is subtracted on the wall clock, so the DST
 * fold is covered by the overlap itself. What we send has no fraction; what we read may have
 * one (older stored marks do) and is compared normalised.
 */
const XLEDGER_TIME_ZONE = 'Europe/Oslo';

const formatter = new Intl.DateTimeFormat('en-CA', {
  timeZone: XLEDGER_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** An instant as Xledger's wall clock shows it, to the second (a fraction is dropped). */
export function toXledgerWallClock(instant: Date): string {
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    formatter.formatToParts(instant).find((p) => p.type === type)?.value ?? '00';
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}

/**
 * A wall-clock string moved by whole minutes (negative = earlier), in the form Xledger takes:
 * `yyyy-MM-ddTHH:mm:ss`, without offset or fraction (a fraction is dropped, which only moves
 * the time earlier: a `_gte` filter then reads a little more, never less).
 */
export function shiftWallClock(wallClock: string, minutes: number): string {
  const asIfUtc = new Date(`${normalise(wallClock)}Z`);
  if (Number.isNaN(asIfUtc.getTime())) throw new Error(`Not an Xledger wall-clock time: ${wallClock}`);
  return new Date(asIfUtc.getTime() + minutes * 60_000).toISOString().slice(0, 19);
}

/** Orders two wall-clock strings, with or without seconds or a fraction. */
export function compareWallClock(a: string, b: string): number {
  const na = normalise(a);
  const nb = normalise(b);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

function normalise(wallClock: string): string {
  const [date, time = '00:00:00'] = wallClock.split('T');
  const [hms = '00:00:00', fraction = ''] = time.split('.');
  const padded = hms.length === 5 ? `${hms}:00` : hms;
  return `${date}T${padded}.${fraction.padEnd(3, '0').slice(0, 3)}`;
}
