import net from 'node:net';

export const LOCALHOST = '127.0.0.1';

function listen(port: number, host: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * `count` distinct free TCP ports on `host`, found by listening on port 0. All sockets are
 * held open until every port is known, so the ports are distinct. (Another process can still
 * take one before the caller binds it; the window is small and a start-up failure says so.)
 */
export async function getFreePorts(count: number, host = LOCALHOST): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0, host));
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}

export async function isPortFree(port: number, host = LOCALHOST): Promise<boolean> {
  try {
    await close(await listen(port, host));
    return true;
  } catch {
    return false;
  }
}

/** Throws a message naming the port, its purpose and the variable that moves it. */
export async function assertPortsFree(
  ports: { port: number; what: string; envVar?: string }[],
  host = LOCALHOST,
) {
  const busy: string[] = [];
  for (const p of ports) {
    if (!(await isPortFree(p.port, host)))
      busy.push(`${host}:${p.port} (${p.what}${p.envVar ? `; set ${p.envVar} to use another` : ''})`);
  }
  if (busy.length > 0)
    throw new Error(
      `port(s) already in use: ${busy.join(', ')}. Is another dev stack (npm start) already running?`,
    );
}

export interface TemporalPorts {
  port: number;
  uiPort: number;
  httpPort: number;
  metricsPort: number;
}

/** The fixed ports of `npm start`: Temporal's usual ones, MongoDB's usual one; each overridable. */
export function fixedPortsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  temporal: TemporalPorts;
  mongo: { port: number };
} {
  const num = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0 || n > 65535)
      throw new Error(`${name} must be a TCP port, got "${raw}"`);
    return n;
  };
  return {
    temporal: {
      port: num('DEVSTACK_TEMPORAL_PORT', 7233),
      uiPort: num('DEVSTACK_TEMPORAL_UI_PORT', 8233),
      httpPort: num('DEVSTACK_TEMPORAL_HTTP_PORT', 7243),
      metricsPort: num('DEVSTACK_TEMPORAL_METRICS_PORT', 7244),
    },
    mongo: { port: num('DEVSTACK_MONGO_PORT', 27017) },
  };
}

export const PORT_ENV_VARS = {
  temporal: 'DEVSTACK_TEMPORAL_PORT',
  uiPort: 'DEVSTACK_TEMPORAL_UI_PORT',
  httpPort: 'DEVSTACK_TEMPORAL_HTTP_PORT',
  metricsPort: 'DEVSTACK_TEMPORAL_METRICS_PORT',
  mongo: 'DEVSTACK_MONGO_PORT',
} as const;
