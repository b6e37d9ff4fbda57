/**
 * The id SEMINE sees for an event (`webhook-id`, the payload's `id`, the events API): opaque,
 * with no `.` and only URL-safe characters, whatever the stored id holds (event types, workflow
 * ids, SEMINE's own invoice ids). It is the stored id (src/events/catalogue.ts `eventIds`, which
 * stays as it was: a fact is recorded once however often a step is retried) encoded, so it never
 * changes for an event and maps back without a look-up. Receivers de-duplicate by it and must
 * not parse it.
 */
const PREFIX = 'evt_';

export function webhookIdOf(storedId: string): string {
  return `${PREFIX}${Buffer.from(storedId, 'utf8').toString('base64url')}`;
}

/** The stored id behind a webhook id; the input itself if it is no webhook id (a stored id). */
export function storedIdOf(id: string): string {
  if (!id.startsWith(PREFIX) || !/^[A-Za-z0-9_-]+$/.test(id.slice(PREFIX.length))) return id;
  return Buffer.from(id.slice(PREFIX.length), 'base64url').toString('utf8');
}
