/**
 * The simulated Xledger's webhooks: registered with Xledger's own sample documents
 * (Webhooks-CSharp), delivered signed on a change of the subscribed type, and the admin
 * controls the push tests rely on (state, lost and replayed deliveries).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SEED_TOKENS, startSimulator, type RunningSimulator } from '../../src/simulator/index';
import { webhookSignatureMatches } from '../../src/xledger/webhook-signature';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';
import { gql } from './helpers';

/** The register mutation exactly as Xledger's sample sends it (H). */
const SAMPLE_REGISTER = `mutation ($description: String, $url: String, $serializedPayload: String) {
  addWebhooks(inputs: [{ node: { description: $description, url: $url, serializedPayload: $serializedPayload } }]) {
    edges { node { dbId description url state { code } serializedPayload lastSuccessfulPost lastFailedPost } }
  }
}`;
const SAMPLE_STATE = `query($dbId: ID) { webhook(dbId: $dbId) { dbId state { code } } }`;
const SAMPLE_REMOVE = `mutation($dbId: Int64String!) { removeWebhooks(dbIds: [$dbId]) { numAffected } }`;
const payload = (field: string, alias = '') =>
  JSON.stringify({
    query: `subscription { ${alias}${field} { edges { syncVersion node { dbId code description } } } }`,
  });

let sim: RunningSimulator;
let receiver: WebhookReceiver;

beforeAll(async () => {
  sim = await startSimulator({ seed: 1, suppliers: 20 });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await sim.close();
  await receiver.close();
});

async function register(field: string, path: string, alias = ''): Promise<number> {
  const answer = await gql(sim, SEED_TOKENS.owner1, SAMPLE_REGISTER, {
    description: `test ${field}`,
    url: receiver.url(path),
    serializedPayload: payload(field, alias),
  });
  expect(answer.body.errors).toBeUndefined();
  const node = answer.body.data!.addWebhooks.edges[0].node;
  expect(node.state).toEqual({ code: 'RUNNING' });
  return Number(node.dbId);
}

const adminJson = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${sim.adminUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('webhooks of the simulated Xledger', () => {
  it('introspection shows the Subscription type with projectsMutated and the extras', async () => {
    const answer = await gql(
      sim,
      SEED_TOKENS.owner1,
      '{ __schema { subscriptionType { fields { name } } } }',
    );
    const names = answer.body.data!.__schema.subscriptionType.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(
      expect.arrayContaining(['projectsMutated', 'suppliersMutated', 'employeesMutated']),
    );
  });

  it('delivers a change of a subscribed type, signed with the token over the Date seconds and the body', async () => {
    const dbId = await register('projectsMutated', '/projects', 'projects: ');
    const project = sim.state.truth(101, 'projects')[0]!;
    sim.state.patchRecord('projects', project.dbId, { description: 'pushed' });
    await vi.waitFor(() => expect(receiver.requests('/projects')).toHaveLength(1), { timeout: 5000 });
    const [delivery] = receiver.requests('/projects');
    const body = JSON.parse(delivery!.body);
    expect(body.data.projects.edges[0].node).toMatchObject({ dbId: project.dbId, description: 'pushed' });
    const seconds = Math.floor(Date.parse(String(delivery!.headers.date)) / 1000);
    const signature = String(delivery!.headers['x-xl-webhook-signature']);
    expect(webhookSignatureMatches(SEED_TOKENS.owner1, signature, seconds, Buffer.from(delivery!.body))).toBe(
      true,
    );
    expect(webhookSignatureMatches(SEED_TOKENS.owner2, signature, seconds, Buffer.from(delivery!.body))).toBe(
      false,
    );

    // Another owner's change, and a change of another type, are not delivered here.
    const other = sim.state.truth(105, 'projects')[0]!;
    sim.state.patchRecord('projects', other.dbId, { description: 'not for owner1' });
    const state = await gql(sim, SEED_TOKENS.owner1, SAMPLE_STATE, { dbId: String(dbId) });
    expect(state.body.data!.webhook).toEqual({ dbId, state: { code: 'RUNNING' } });
    expect(
      (await gql(sim, SEED_TOKENS.owner2, SAMPLE_STATE, { dbId: String(dbId) })).body.data!.webhook,
    ).toBeNull();
    expect(receiver.requests('/projects')).toHaveLength(1);
  });

  it('stops delivering when PAUSED or FAULTED, loses dropped deliveries, replays the last byte for byte', async () => {
    const dbId = await register('suppliersMutated', '/suppliers');
    const supplier = sim.state.truth(101, 'suppliers')[0]!;
    expect((await adminJson('PUT', `/admin/webhooks/${dbId}/state`, { state: 'FAULTED' })).status).toBe(200);
    sim.state.patchRecord('suppliers', supplier.dbId, { description: 'while faulted' });
    expect((await gql(sim, SEED_TOKENS.owner1, SAMPLE_STATE, { dbId })).body.data!.webhook.state.code).toBe(
      'FAULTED',
    );
    await adminJson('PUT', `/admin/webhooks/${dbId}/state`, { state: 'RUNNING' });
    expect((await adminJson('POST', `/admin/webhooks/${dbId}/drop`, { count: 1 })).status).toBe(200);
    sim.state.patchRecord('suppliers', supplier.dbId, { description: 'dropped' });
    sim.state.patchRecord('suppliers', supplier.dbId, { description: 'delivered' });
    await vi.waitFor(() => expect(receiver.requests('/suppliers')).toHaveLength(1), { timeout: 5000 });
    expect(
      JSON.parse(receiver.requests('/suppliers')[0]!.body).data.suppliersMutated.edges[0].node.description,
    ).toBe('delivered');
    const replay = await adminJson('POST', `/admin/webhooks/${dbId}/replay`);
    expect(replay.body.status).toBe(200);
    const [first, second] = receiver.requests('/suppliers');
    expect(second!.body).toBe(first!.body);
    expect(second!.headers['x-xl-webhook-signature']).toBe(first!.headers['x-xl-webhook-signature']);
    expect(second!.headers.date).toBe(first!.headers.date);
  });

  it('faults a webhook whose deliveries keep failing, and removes webhooks with the sample document', async () => {
    const dbId = await register('employeesMutated', '/employees');
    receiver.behave('/employees', { failNext: 3, failStatus: 500 });
    const employee = sim.state.truth(101, 'employees')[0]!;
    sim.state.patchRecord('employees', employee.dbId, { description: 'failing' });
    await vi.waitFor(
      async () =>
        expect(
          (await gql(sim, SEED_TOKENS.owner1, SAMPLE_STATE, { dbId })).body.data!.webhook.state.code,
        ).toBe('FAULTED'),
      { timeout: 10_000, interval: 200 },
    );
    expect(receiver.requests('/employees')).toHaveLength(3);
    const removed = await gql(sim, SEED_TOKENS.owner1, SAMPLE_REMOVE, { dbId: String(dbId) });
    expect(removed.body.data!.removeWebhooks).toEqual({ numAffected: 1 });
    expect((await gql(sim, SEED_TOKENS.owner1, SAMPLE_STATE, { dbId })).body.data!.webhook).toBeNull();
  });

  it('refuses a payload that is not a subscription to a field of the Subscription type', async () => {
    const answer = await gql(sim, SEED_TOKENS.owner1, SAMPLE_REGISTER, {
      description: 'bad',
      url: receiver.url('/bad'),
      serializedPayload: JSON.stringify({
        query: 'subscription { invoicesMutated { edges { syncVersion } } }',
      }),
    });
    expect(answer.body.errors?.[0]?.message).toMatch(/serializedPayload/);
  });
});
