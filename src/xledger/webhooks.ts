/**
 * Xledger's webhooks through the one client: register a subscription, remove it, read states.
 * The documents are the ones Xledger's Webhooks-CSharp sample sends (H), with its variable
 * types (`String` for the node's fields, `ID` for the state query; removal's id inline),
 * and join the catalogue (src/catalogue/operations.ts) through webhookOperations().
 *
 * (A) what is ours: the subscription's selection (`edges { syncVersion node { dbId } }`: a
 * delivery only tells us that a type changed, the sync reads the records, and Xledger charges
 * per MB), the description, and reading several states in one request under aliases.
 */
import type { XledgerClient } from './client';
import type { Operation } from './operations';

/** What uses these operations in the catalogue: tenants with `push: true`. */
export const PUSH_USER = 'push';

const ADD = `mutation addWebhook($description: String, $url: String, $serializedPayload: String) {
  addWebhooks(inputs: [{ node: { description: $description, url: $url, serializedPayload: $serializedPayload } }]) {
    edges { node { dbId state { code } } }
  }
}`;

/**
 * The id written inline as a literal: the sample declares `$dbId: Int64String!` (H) but the
 * catalogue declares no Int64String variable anywhere (the real API refused `[Int64String!]`
 * for id lists elsewhere: xledger-api.md, round three); a literal needs no type name.
 */
function removeDocument(dbId: number): string {
  return `mutation removeWebhook {\n  removeWebhooks(dbIds: [${Math.trunc(dbId)}]) { numAffected }\n}`;
}

/** The subscription document a webhook carries, for one field of the Subscription type. */
export function subscriptionDocument(field: string): string {
  return `subscription { ${field} { edges { syncVersion node { dbId } } } }`;
}

/** `serializedPayload`: the subscription as a GraphQL request's JSON (H: the sample's ProjectsSubscriptionJson). */
export function serializedPayload(field: string): string {
  return JSON.stringify({ query: subscriptionDocument(field) });
}

function statesDocument(count: number): string {
  const variables = Array.from({ length: count }, (_, i) => `$d${i}: ID`).join(', ');
  const fields = Array.from(
    { length: count },
    (_, i) => `w${i}: webhook(dbId: $d${i}) { dbId state { code } }`,
  );
  return `query webhookStates(${variables}) {\n  ${fields.join('\n  ')}\n}`;
}

/** Every webhook document, with example variables, for the catalogue. */
export function webhookOperations(): Operation[] {
  return [
    {
      name: 'addWebhook',
      document: ADD,
      variables: {
        description: 'xledger-sync acme suppliersMutated',
        url: 'https://sync.semine.example/xledger/webhooks/acme',
        serializedPayload: serializedPayload('projectsMutated'),
      },
    },
    { name: 'removeWebhook', document: removeDocument(1001), variables: {} },
    { name: 'webhookStates', document: statesDocument(2), variables: { d0: '1001', d1: '1002' } },
  ];
}

export interface RegisteredWebhook {
  dbId: number;
  state: string | null;
}

interface AddAnswer {
  addWebhooks: { edges: Array<{ node: { dbId: number | string; state: { code: string } | null } }> | null };
}

/** Registers one subscription; one request. */
export async function addWebhook(
  client: XledgerClient,
  input: { description: string; url: string; field: string },
): Promise<RegisteredWebhook> {
  const data = await client.request<AddAnswer>(ADD, {
    description: input.description,
    url: input.url,
    serializedPayload: serializedPayload(input.field),
  });
  const node = data.addWebhooks.edges?.[0]?.node;
  if (!node) throw new Error(`Xledger registered no webhook for ${input.field}`);
  return { dbId: Number(node.dbId), state: node.state?.code ?? null };
}

/** Removes one webhook; one request. Returns whether Xledger had it. */
export async function removeWebhook(client: XledgerClient, dbId: number): Promise<boolean> {
  const data = await client.request<{ removeWebhooks: { numAffected: number } }>(removeDocument(dbId));
  return data.removeWebhooks.numAffected > 0;
}

/** The states of these webhooks, in one request; null for one Xledger no longer has. */
export async function webhookStates(
  client: XledgerClient,
  dbIds: readonly number[],
): Promise<Map<number, string | null>> {
  const states = new Map<number, string | null>();
  if (dbIds.length === 0) return states;
  const variables = Object.fromEntries(dbIds.map((dbId, i) => [`d${i}`, String(dbId)]));
  const data = await client.request<Record<string, { state: { code: string } | null } | null>>(
    statesDocument(dbIds.length),
    variables,
  );
  dbIds.forEach((dbId, i) => states.set(dbId, data[`w${i}`]?.state?.code ?? null));
  return states;
}

/** The `<type>Mutated` fields of a schema's Subscription type, from an introspection answer's types. */
export function mutatedSubscriptionFields(
  subscriptionType: { name: string } | null | undefined,
  types: ReadonlyArray<{ name: string; fields?: ReadonlyArray<{ name: string }> | null }>,
): string[] {
  if (!subscriptionType) return [];
  const type = types.find((t) => t.name === subscriptionType.name);
  return (type?.fields ?? []).map((f) => f.name).filter((name) => /^[a-z][A-Za-z]*Mutated$/.test(name));
}
