/**
 * A token goes only to an https endpoint on an allowed host (loopback only where configured),
 * never along a redirect, and a bad tenant file is refused naming the field before any server
 * is contacted — here MongoDB and Temporal are sockets that count connections and never answer.
 */
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config';
import {
  assertAllowedEndpoint,
  EndpointNotAllowedError,
  endpointProblem,
  STRICT_XLEDGER_POLICY,
  type EndpointPolicy,
} from '../../src/security/endpoint-policy';
import { SEED_TOKENS } from '../../src/simulator/index';
import { XledgerClient } from '../../src/xledger/client';
import { XledgerError } from '../../src/xledger/errors';
import { RequestGate } from '../../src/xledger/request-gate';
import { runCliCaptured } from '../support/cli';

const LOOPBACK: EndpointPolicy = { ...STRICT_XLEDGER_POLICY, allowInsecureLoopback: true };

describe('the endpoint policy', () => {
  it.each([
    'https://www.xledger.net/graphql',
    'https://demo.xledger.net/graphql',
    'https://WWW.Xledger.net:443/graphql',
  ])('allows %s', (url) => {
    expect(endpointProblem(url, STRICT_XLEDGER_POLICY)).toBeUndefined();
  });

  it.each([
    ['http://www.xledger.net/graphql', /must be https/],
    [
      'https://www.xledger.net.evil.example/graphql',
      /host www\.xledger\.net\.evil\.example is not an allowed host/,
    ],
    ['https://evil.example/graphql#www.xledger.net', /host evil\.example is not an allowed host/],
    ['https://xledger.net/graphql', /not an allowed host/],
    ['https://user:pw@www.xledger.net/graphql', /user name or password/],
    ['ftp://www.xledger.net/graphql', /must be an https URL/],
    ['www.xledger.net/graphql', /absolute https URL/],
    [
      'http://127.0.0.1:4000/graphql',
      /loopback address 127\.0\.0\.1 is allowed only with ALLOW_INSECURE_LOOPBACK/,
    ],
    ['http://localhost:4000/graphql', /loopback address localhost/],
    ['http://[::1]:4000/graphql', /loopback address \[::1\]/],
    // WHATWG URLs normalise these spellings to 127.0.0.1: still loopback.
    ['http://2130706433:4000/graphql', /loopback address 127\.0\.0\.1/],
    ['http://0x7f.1:4000/graphql', /loopback address 127\.0\.0\.1/],
  ])('refuses %s by default', (url, problem) => {
    expect(endpointProblem(url, STRICT_XLEDGER_POLICY)).toMatch(problem);
    expect(() => assertAllowedEndpoint(url, STRICT_XLEDGER_POLICY)).toThrow(EndpointNotAllowedError);
  });

  it('allows loopback over http only when configured, and nothing else with it', () => {
    expect(endpointProblem('http://127.0.0.1:4000/graphql', LOOPBACK)).toBeUndefined();
    expect(endpointProblem('http://[::1]:4000/graphql', LOOPBACK)).toBeUndefined();
    expect(endpointProblem('http://10.0.0.5/graphql', LOOPBACK)).toMatch(/must be https/);
    expect(endpointProblem('https://10.0.0.5/graphql', LOOPBACK)).toMatch(/not an allowed host/);
  });

  it('never names more of the URL than its host', () => {
    const problem = endpointProblem(
      'https://evil.example/graphql?token=s3cret-in-query',
      STRICT_XLEDGER_POLICY,
    );
    expect(problem).not.toContain('s3cret');
  });
});

describe('the configuration', () => {
  it('refuses a default endpoint the policy does not allow, naming the variable', () => {
    expect(() => loadConfig({ XLEDGER_ENDPOINT: 'http://127.0.0.1:4000/graphql' })).toThrow(
      /XLEDGER_ENDPOINT: loopback address 127\.0\.0\.1 is allowed only with ALLOW_INSECURE_LOOPBACK/,
    );
    expect(() => loadConfig({ XLEDGER_ENDPOINT: 'https://proxy.example/graphql' })).toThrow(ConfigError);
    expect(() => loadConfig({ ALLOW_INSECURE_LOOPBACK: 'yes' })).toThrow(
      /ALLOW_INSECURE_LOOPBACK: must be true or false/,
    );
  });

  it('takes its own host list and the loopback switch', () => {
    const config = loadConfig({
      XLEDGER_ALLOWED_HOSTS: 'proxy.example, www.xledger.net',
      XLEDGER_ENDPOINT: 'https://proxy.example/graphql',
    });
    expect(config.xledger.endpointPolicy).toEqual({
      allowedHosts: ['proxy.example', 'www.xledger.net'],
      allowInsecureLoopback: false,
    });
    expect(loadConfig({}).xledger.endpointPolicy).toEqual(STRICT_XLEDGER_POLICY);
    expect(
      loadConfig({ ALLOW_INSECURE_LOOPBACK: 'true', XLEDGER_ENDPOINT: 'http://127.0.0.1:4000/graphql' })
        .xledger.endpointPolicy.allowInsecureLoopback,
    ).toBe(true);
  });
});

/** An HTTP server on loopback that records the Authorization header of every request. */
async function recordingServer(handle: (res: http.ServerResponse) => void) {
  const seen: Array<string | undefined> = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization);
    req.resume();
    req.on('end', () => handle(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/graphql`;
  return { url, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

const client = (endpoint: string, policy: EndpointPolicy) =>
  new XledgerClient({
    endpoint,
    token: SEED_TOKENS.owner1,
    endpointPolicy: policy,
    requestTimeoutMs: 5_000,
    gate: new RequestGate({ maxRequestsPer5s: 10, maxConcurrentRequests: 1 }),
  });

describe('the Xledger client', () => {
  it('refuses to be made for an endpoint the policy does not allow', () => {
    const made = () => client('http://127.0.0.1:9/graphql', STRICT_XLEDGER_POLICY);
    expect(made).toThrow(XledgerError);
    expect(made).toThrow(/The Xledger endpoint is not allowed: loopback address/);
  });

  it.each([301, 302, 307, 308])(
    'never follows a redirect (HTTP %i): the token reaches no other address',
    async (status) => {
      const elsewhere = await recordingServer((res) => res.end('{"data":{}}'));
      const redirecting = await recordingServer((res) => {
        res.writeHead(status, { location: elsewhere.url });
        res.end();
      });
      try {
        const error = await client(redirecting.url, LOOPBACK)
          .request('{ entities(first: 1) { edges { node { dbId } } } }')
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(XledgerError);
        expect((error as XledgerError).kind).toBe('invalid_request');
        expect((error as XledgerError).message).toMatch(/redirect.*not followed/);
        expect((error as XledgerError).message).not.toContain(SEED_TOKENS.owner1);
        expect(redirecting.seen).toEqual([`token ${SEED_TOKENS.owner1}`]);
        expect(elsewhere.seen).toEqual([]);
      } finally {
        await redirecting.close();
        await elsewhere.close();
      }
    },
  );
});

describe('tenant upsert with a bad file, MongoDB and Temporal out of reach', () => {
  let dir: string;
  let silent: net.Server;
  let connections = 0;
  const sockets = new Set<net.Socket>();
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'xledger-sync-endpoint-'));
    // Accepts connections and never answers: any contact is counted.
    silent = net.createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    env = {
      MONGODB_URI: `mongodb://127.0.0.1:${port}/xledger_sync`,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      MONGODB_TIMEOUT_MS: '1000',
      TEMPORAL_TIMEOUT_MS: '1000',
      TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const valid = {
    tenantId: 'acme',
    xledger: { endpoint: 'https://demo.xledger.net/graphql', token: SEED_TOKENS.owner1 },
    entityOwnerDbId: 101,
  };

  async function upsert(name: string, content: unknown, extraEnv: NodeJS.ProcessEnv = {}) {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(content));
    return runCliCaptured(['tenant', 'upsert', '--file', path], { env: { ...env, ...extraEnv } });
  }

  it.each([
    [
      'an http endpoint',
      { ...valid, xledger: { ...valid.xledger, endpoint: 'http://www.xledger.net/graphql' } },
      /^error: Invalid input for tenant acme: xledger\.endpoint: must be https/,
    ],
    [
      'a host not on the list',
      { ...valid, xledger: { ...valid.xledger, endpoint: 'https://collector.example/graphql' } },
      /^error: Invalid input for tenant acme: xledger\.endpoint: host collector\.example is not an allowed host/,
    ],
    [
      'the simulator without ALLOW_INSECURE_LOOPBACK',
      { ...valid, xledger: { ...valid.xledger, endpoint: 'http://127.0.0.1:4000/graphql' } },
      /^error: Invalid input for tenant acme: xledger\.endpoint: loopback address 127\.0\.0\.1/,
    ],
    [
      'a missing token',
      { ...valid, xledger: { endpoint: valid.xledger.endpoint } },
      /^error: Invalid input for tenant acme: xledger\.token: /,
    ],
    [
      'a mistyped owner',
      { ...valid, entityOwnerDbId: '101' },
      /^error: Invalid input for tenant acme: entityOwnerDbId: /,
    ],
    ['a bad tenant id', { ...valid, tenantId: 'Acme Corp' }, /^error: Invalid input: tenantId: /],
  ])('%s: exit 2 naming the field, no server contacted', async (_what, content, message) => {
    const before = connections;
    const result = await upsert('bad.json', content);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr.trimEnd()).toMatch(message);
    expect(connections - before).toBe(0);
  });

  it('the same endpoint passes where configuration allows it (and then the servers are contacted)', async () => {
    const before = connections;
    const result = await upsert(
      'loopback.json',
      { ...valid, xledger: { ...valid.xledger, endpoint: 'http://127.0.0.1:4000/graphql' } },
      { ALLOW_INSECURE_LOOPBACK: 'true' },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: MongoDB at .* did not answer within 1 s/);
    expect(connections - before).toBeGreaterThan(0);
  });

  it('xledger check refuses such an endpoint naming --endpoint, before any request', async () => {
    const result = await runCliCaptured(
      ['xledger', 'check', '--endpoint', 'https://collector.example/graphql', '--token', SEED_TOKENS.owner1],
      { env },
    );
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd()).toMatch(
      /^error: Invalid input: --endpoint: host collector\.example is not an allowed host/,
    );
  });
});
