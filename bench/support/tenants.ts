import type { RunningSimulator } from '../../src/simulator/index';
import { SEED_ENTITIES } from '../../src/simulator/index';
import type { OutboxInvoice } from '../../src/invoices/outbox';
import { collections } from '../../src/store/collections';
import { tenantConfigSchema, type TenantConfigInput } from '../../src/domain/tenant';
import { runSync } from './runs';
import type { BenchEnv } from './stack';

/** A tenant of the seeded owner 101 on the simulator, saved in the store (no schedules). */
export async function saveBenchTenant(
  env: BenchEnv,
  sim: RunningSimulator,
  tenantId: string,
  token: string,
  more: Partial<TenantConfigInput> = {},
): Promise<void> {
  await env.tenants.save(
    tenantConfigSchema.parse({
      tenantId,
      xledger: { endpoint: sim.graphqlUrl, token },
      entityOwnerDbId: SEED_ENTITIES.owner1,
      ...more,
    }),
  );
}

/** The master data an invoice is validated against, synced once; returns a supplier code of the owner. */
export async function syncForInvoices(env: BenchEnv, tenantId: string): Promise<string> {
  for (const dataType of ['suppliers', 'accounts', 'vatCodes', 'currencies', 'dimensions']) {
    await runSync(env, tenantId, dataType, 'full');
  }
  return supplierToInvoice(env, tenantId);
}

/** A supplier code of the tenant's owner, from its synced suppliers. */
export async function supplierToInvoice(env: BenchEnv, tenantId: string): Promise<string> {
  const supplier = await env.store.db.collection('suppliers').findOne({ tenantId, visibility: 'owner' });
  if (!supplier?.code) throw new Error(`tenant ${tenantId} has no supplier of its owner to invoice`);
  return String(supplier.code);
}

/** Waits until every one of the invoices is posted or rejected; returns how many of each. */
export async function waitSettled(
  env: BenchEnv,
  tenantId: string,
  count: number,
  timeoutMs: number,
): Promise<{ posted: number; rejected: number; seconds: number }> {
  const started = performance.now();
  const outbox = env.store.db.collection<OutboxInvoice>(collections.invoiceOutbox);
  for (;;) {
    const states = await outbox
      .find({ tenantId }, { projection: { state: 1 } })
      .map((doc) => doc.state)
      .toArray();
    const posted = states.filter((state) => state === 'posted').length;
    const rejected = states.filter((state) => state === 'rejected').length;
    if (posted + rejected >= count)
      return { posted, rejected, seconds: (performance.now() - started) / 1000 };
    if (performance.now() - started > timeoutMs) {
      throw new Error(
        `only ${posted + rejected} of ${count} invoices of ${tenantId} settled in ${timeoutMs / 1000} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
