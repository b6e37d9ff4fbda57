/**
 * The simulator answers introspection like the real API (H: clients introspect Xledger's
 * schema), can refuse it like a server with introspection disabled (A), and can serve a variant
 * of its schema with a field removed — what the client's live schema check is tested against.
 */
import {
  buildClientSchema,
  getIntrospectionQuery,
  printSchema,
  type IntrospectionObjectType,
  type IntrospectionQuery,
} from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSimulatorSchema,
  SEED_TOKENS,
  startSimulator,
  type RunningSimulator,
} from '../../src/simulator/index';
import { admin, gql } from './helpers';

const SUPPLIER_EMAIL = 'query { suppliers(first: 1) { edges { node { dbId email } } } }';

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 4, suppliers: 20 });
});
afterEach(async () => {
  await admin(sim, 'POST', '/admin/schema/reset');
});
afterAll(async () => {
  await sim.close();
});

const supplierFields = (data: IntrospectionQuery) =>
  (data.__schema.types.find((type) => type.name === 'Supplier') as IntrospectionObjectType).fields.map(
    (field) => field.name,
  );

describe('introspection', () => {
  it('is answered with the schema the simulator serves, for a valid token', async () => {
    const result = await gql<IntrospectionQuery>(sim, SEED_TOKENS.owner1, getIntrospectionQuery());
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
    const introspected = buildClientSchema(result.body.data!);
    expect(printSchema(introspected)).toBe(printSchema(buildSimulatorSchema()));
    // Like every request, it needs a token.
    const refused = await gql(sim, null, getIntrospectionQuery());
    expect(refused.body.errors?.[0]?.message).toMatch(/^Bad format for API Token/);
    expect(refused.body.data).toBeUndefined();
  });

  it('can be refused like a server with introspection disabled: an errors[] entry, HTTP 400', async () => {
    const switched = await admin(sim, 'PUT', '/admin/introspection', { enabled: false });
    expect(switched).toEqual({ status: 200, body: { introspection: false, removedFields: [] } });
    const refused = await gql(sim, SEED_TOKENS.owner1, getIntrospectionQuery());
    expect(refused.status).toBe(400);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors).toHaveLength(1);
    expect(refused.body.errors![0]).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      message: expect.stringContaining('introspection has been disabled') as string,
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
    });
    expect((await gql(sim, SEED_TOKENS.owner1, '{ __type(name: "Supplier") { name } }')).status).toBe(400);
    // Everything else still runs, __typename included.
    const ordinary = await gql(sim, SEED_TOKENS.owner1, '{ __typename suppliers(first: 1) { __typename } }');
    expect(ordinary).toMatchObject({ status: 200, body: { data: { __typename: 'Query' } } });
    expect(ordinary.body.errors).toBeUndefined();

    await admin(sim, 'PUT', '/admin/introspection', { enabled: true });
    expect((await gql(sim, SEED_TOKENS.owner1, getIntrospectionQuery())).status).toBe(200);
    expect((await admin(sim, 'PUT', '/admin/introspection', { enabled: 'no' })).status).toBe(400);
  });
});

describe('a schema variant with a field removed', () => {
  it('refuses documents asking for the field, and introspection no longer lists it', async () => {
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIER_EMAIL)).body.errors).toBeUndefined();
    const removed = await admin(sim, 'PUT', '/admin/schema/remove-field', {
      type: 'Supplier',
      field: 'email',
    });
    expect(removed).toEqual({
      status: 200,
      body: { introspection: true, removedFields: [{ type: 'Supplier', field: 'email' }] },
    });
    expect(await admin(sim, 'GET', '/admin/schema')).toEqual(removed);

    const refused = await gql(sim, SEED_TOKENS.owner1, SUPPLIER_EMAIL);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]).toMatchObject({
      code: 'GRAPHQL_VALIDATION_FAILED',
      message: 'Cannot query field "email" on type "Supplier".',
    });
    const introspected = await gql<IntrospectionQuery>(sim, SEED_TOKENS.owner1, getIntrospectionQuery());
    expect(supplierFields(introspected.body.data!)).not.toContain('email');
    expect(supplierFields(introspected.body.data!)).toContain('code');
    // The rest of the type still resolves.
    const rest = await gql(
      sim,
      SEED_TOKENS.owner1,
      'query { suppliers(first: 1) { edges { node { dbId code } } } }',
    );
    expect(rest.body.errors).toBeUndefined();

    await admin(sim, 'POST', '/admin/schema/reset');
    expect((await gql(sim, SEED_TOKENS.owner1, SUPPLIER_EMAIL)).body.errors).toBeUndefined();
  });

  it('names what is wrong with a removal it cannot make', async () => {
    expect(await admin(sim, 'PUT', '/admin/schema/remove-field', { type: 'Nope', field: 'email' })).toEqual({
      status: 400,
      body: { error: 'type: no object, interface or input type named "Nope"' },
    });
    expect(
      await admin(sim, 'PUT', '/admin/schema/remove-field', { type: 'Supplier', field: 'nope' }),
    ).toEqual({
      status: 400,
      body: { error: 'field: type Supplier has no field "nope"' },
    });
    expect((await admin(sim, 'PUT', '/admin/schema/remove-field', { type: 'Supplier' })).status).toBe(400);
    expect((await admin(sim, 'GET', '/admin/schema')).body).toEqual({
      introspection: true,
      removedFields: [],
    });
  });

  it('can be served from the start (simulator options)', async () => {
    const variant = await startSimulator({
      seed: 4,
      suppliers: 5,
      introspection: false,
      removeFields: [{ type: 'Query', field: 'assets' }],
    });
    try {
      expect(variant.schema.describe()).toEqual({
        introspection: false,
        removedFields: [{ type: 'Query', field: 'assets' }],
      });
      const assets = await gql(
        variant,
        SEED_TOKENS.owner1,
        '{ assets(first: 1) { edges { node { dbId } } } }',
      );
      expect(assets.body.errors?.[0]?.message).toBe('Cannot query field "assets" on type "Query".');
      expect((await gql(variant, SEED_TOKENS.owner1, getIntrospectionQuery())).status).toBe(400);
    } finally {
      await variant.close();
    }
  });
});
