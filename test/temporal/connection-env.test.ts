/**
 * The Temporal connection from Temporal's standard variables (TEMPORAL_ADDRESS, _NAMESPACE,
 * _API_KEY, _TLS_CLIENT_CERT_PATH, _TLS_CLIENT_KEY_PATH, _TLS_SERVER_CA_CERT_PATH,
 * _TLS_SERVER_NAME), against the run's dev server behind a TLS front of this test's own: a private
 * CA, a server certificate for a name that is not the address, and client certificates required
 * (as Temporal Cloud's mTLS does). Both the client's and the worker's connections must get through.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import { connectClient, connectWorker, TemporalUnavailableError } from '../../src/temporal/connection';

const run = promisify(execFile);
let dir: string;
let front: Server;
let frontAddress: string;

/** A CA, a server certificate for temporal.test signed by it, and a client certificate. */
async function makeCertificates(into: string): Promise<void> {
  const openssl = (...args: string[]) => run('openssl', args, { cwd: into, timeout: 30_000 });
  await writeFile(
    join(into, 'server.ext'),
    'subjectAltName=DNS:temporal.test\nextendedKeyUsage=serverAuth\n',
  );
  await writeFile(join(into, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test CA'); // prettier-ignore
  for (const name of ['server', 'client']) {
    await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`); // prettier-ignore
    await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`); // prettier-ignore
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'xledger-sync-tls-'));
  await makeCertificates(dir);
  const [host, port] = inject('temporalAddress').split(':') as [string, string];
  // TLS in front, plain HTTP/2 behind: what a TLS-terminating proxy before a Temporal frontend does.
  front = createServer(
    {
      key: readFileSync(join(dir, 'server.key')),
      cert: readFileSync(join(dir, 'server.pem')),
      ca: readFileSync(join(dir, 'ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket) => {
      const backend = netConnect(Number(port), host);
      socket.pipe(backend).pipe(socket);
      socket.on('error', () => backend.destroy());
      backend.on('error', () => socket.destroy());
    },
  );
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  frontAddress = `127.0.0.1:${(front.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => front?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const tlsEnv = () => ({
  TEMPORAL_ADDRESS: frontAddress,
  TEMPORAL_NAMESPACE: inject('temporalNamespace'),
  TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
  TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'ca.pem'),
  TEMPORAL_TLS_SERVER_NAME: 'temporal.test',
  TEMPORAL_TIMEOUT_MS: '5000',
});

describe('TEMPORAL_* variables', () => {
  it('read into the configuration; an API key alone turns TLS on; the earlier names still work', () => {
    const config = loadConfig(tlsEnv());
    expect(config.temporal.address).toBe(frontAddress);
    expect(config.temporal.tls).toEqual({
      clientCertPath: join(dir, 'client.pem'),
      clientKeyPath: join(dir, 'client.key'),
      serverCaCertPath: join(dir, 'ca.pem'),
      serverName: 'temporal.test',
    });
    const cloud = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' });
    expect(cloud.temporal).toMatchObject({ apiKey: 'k', tls: {} });
    expect(loadConfig({}).temporal.tls).toBeUndefined();
    expect(loadConfig({ TEMPORAL_TLS: 'true' }).temporal.tls).toEqual({});
    expect(
      loadConfig({ TEMPORAL_TLS_CERT_PATH: '/c.pem', TEMPORAL_TLS_KEY_PATH: '/k.pem' }).temporal.tls,
    ).toEqual({ clientCertPath: '/c.pem', clientKeyPath: '/k.pem' });
  });

  it('refuse a client certificate without its key, naming both variables', () => {
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).toThrow(ConfigError);
    expect(() => loadConfig({ TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).toThrow(
      /TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH/,
    );
    expect(() => loadConfig({ TEMPORAL_TLS: 'maybe' })).toThrow(/TEMPORAL_TLS/);
  });

  it('connect the client and the worker over mTLS with a private CA and a server name', async () => {
    const { temporal } = loadConfig(tlsEnv());
    const client = await connectClient(temporal);
    try {
      const answer = await client.workflowService.describeNamespace({ namespace: temporal.namespace });
      expect(answer.namespaceInfo?.name).toBe(temporal.namespace);
    } finally {
      await client.close();
    }
    const worker = await connectWorker(temporal);
    await worker.close();
  });

  it('fail to connect without the client certificate, or without the CA', async () => {
    const { temporal } = loadConfig(tlsEnv());
    const { clientCertPath: _c, clientKeyPath: _k, ...noClientCert } = temporal.tls!;
    await expect(connectClient({ ...temporal, tls: noClientCert })).rejects.toBeInstanceOf(
      TemporalUnavailableError,
    );
    const { serverCaCertPath: _ca, ...noCa } = temporal.tls!;
    await expect(connectClient({ ...temporal, tls: noCa })).rejects.toBeInstanceOf(TemporalUnavailableError);
  });

  it('name the variable of a file that cannot be read', async () => {
    const { temporal } = loadConfig({
      ...tlsEnv(),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'missing.pem'),
    });
    await expect(connectClient(temporal)).rejects.toThrow(
      /TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read .*missing\.pem \(ENOENT\)/,
    );
  });
});
