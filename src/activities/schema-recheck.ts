import type { IntrospectionQuery } from 'graphql';
import type { RequestedMode } from '../sync/pass-mode';
import { XledgerError } from '../xledger/errors';
import { schemaFindings } from '../catalogue/schema-check';
import { tenantXledger, type ActivityDeps } from './deps';
import { introspectionQuery } from '../catalogue/operations';

/**
 * Xledger's schema can change after `tenant upsert` checked it: an optional field may go, or
 * come back, and `rateLimit` may appear. So the tenant's live schema is introspected again
 * (one request) before a run's passes when a full pass is asked for and the last check is at
 * least RECHECK_AFTER_FULL_MS old, or before any run once it is RECHECK_EVERY_MS old — in
 * practice the first run of the day, which is the daily full pass on the default settings. What it
 * finds replaces the tenant's omitted optional fields (a field Xledger has again is read again;
 * one it lost is left out before any request is refused for it) and says whether its requests
 * read `rateLimit`. A refused or failed introspection changes nothing: the passes run as before
 * (and a field Xledger refuses is still left out when a request meets it).
 *
 * A tenant saved without the check (not through `tenant upsert`, e.g. a test's own store) has no
 * check to renew and is left alone. The request is not in the run's figures, like the upsert's.
 */
export const RECHECK_EVERY_MS = 20 * 3_600_000;
/** Not right after another check: a new tenant's first sync runs every data type full at once. */
export const RECHECK_AFTER_FULL_MS = 3_600_000;

/** Per tenant, the re-check under way in this process: a tenant's data types start together. */
const underWay = new Map<string, Promise<void>>();

export async function recheckSchemaIfDue(
  deps: ActivityDeps,
  tenantId: string,
  modes: readonly RequestedMode[],
  now = Date.now(),
): Promise<void> {
  // An unknown tenant, a store that does not answer: the passes meet it themselves.
  const check = await deps.tenants.schemaCheck(tenantId).catch(() => null);
  if (!check) return;
  const last = Date.parse(check.recheckedAt ?? check.checkedAt);
  const age = Number.isFinite(last) ? now - last : Infinity;
  const due = age >= RECHECK_EVERY_MS || (modes.includes('full') && age >= RECHECK_AFTER_FULL_MS);
  if (!due) return;
  let running = underWay.get(tenantId);
  if (!running) {
    running = recheck(deps, tenantId).finally(() => underWay.delete(tenantId));
    underWay.set(tenantId, running);
  }
  await running;
}

async function recheck(deps: ActivityDeps, tenantId: string): Promise<void> {
  const log = deps.logger.child({ tenantId });
  try {
    const { client } = await tenantXledger(deps, tenantId);
    const introspection = introspectionQuery();
    const data = await client.request<IntrospectionQuery>(introspection.document, introspection.variables);
    const found = schemaFindings(data);
    await deps.tenants.recordRecheck(tenantId, found);
    log.info(
      { omittedFields: found.omittedFields, rateLimit: found.rateLimit },
      "checked the tenant's optional fields against Xledger's live schema again",
    );
  } catch (error) {
    // Tried: not again before the next one is due (an Xledger that refuses introspection would
    // otherwise cost a request every run). The passes meet anything that matters (a refused
    // token, spent credits) themselves.
    await deps.tenants.recordRecheck(tenantId, null).catch(() => undefined);
    log.warn(
      { err: error instanceof XledgerError ? error.message : String(error) },
      "could not check the tenant's live schema again: its optional fields stay as they were",
    );
  }
}
