/**
 * Where a secret may be sent. A tenant's Xledger endpoint (and any URL the service calls with a
 * tenant's secret, such as a webhook) must be https on an allowed host; plain http, or https on
 * a loopback address, only where the configuration allows the local simulator
 * (ALLOW_INSECURE_LOOPBACK). Checked when a tenant is saved, when an endpoint is checked, and
 * again by the Xledger client before it sends anything, so a token is never sent elsewhere.
 */

/** Xledger's production and demo GraphQL hosts (../shared/xledger-api.md, H). */
export const DEFAULT_XLEDGER_HOSTS: readonly string[] = ['www.xledger.net', 'demo.xledger.net'];

export interface EndpointPolicy {
  /** Exact host names (lower case) a secret may be sent to over https. */
  allowedHosts: readonly string[];
  /** http or https to a loopback address (127.0.0.0/8, ::1, localhost): the dev stack, tests, the simulator. */
  allowInsecureLoopback: boolean;
}

export const STRICT_XLEDGER_POLICY: EndpointPolicy = {
  allowedHosts: DEFAULT_XLEDGER_HOSTS,
  allowInsecureLoopback: false,
};

export class EndpointNotAllowedError extends Error {
  override name = 'EndpointNotAllowedError';
  /** Why, without the URL itself: it may carry credentials or a query string. */
  constructor(readonly problem: string) {
    super(`endpoint not allowed: ${problem}`);
  }
}

/** Loopback as a URL's hostname spells it (`[::1]` keeps its brackets in WHATWG URLs). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Why `url` may not receive a secret under `policy`, or undefined when it may. The answer names
 * the host (never the whole URL) and what would be allowed.
 */
export function endpointProblem(url: string, policy: EndpointPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute https URL';
  }
  if (parsed.username || parsed.password) return 'must not carry a user name or password';
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an https URL';
  const host = parsed.hostname.toLowerCase();
  if (isLoopbackHost(host)) {
    return policy.allowInsecureLoopback
      ? undefined
      : `loopback address ${host} is allowed only with ALLOW_INSECURE_LOOPBACK=true (the local simulator)`;
  }
  if (parsed.protocol !== 'https:') return `must be https (got ${parsed.protocol.slice(0, -1)} to ${host})`;
  if (!policy.allowedHosts.includes(host)) {
    return `host ${host} is not an allowed host (allowed: ${policy.allowedHosts.join(', ') || 'none'}; XLEDGER_ALLOWED_HOSTS)`;
  }
  return undefined;
}

/** Throws EndpointNotAllowedError unless `url` may receive a secret under `policy`. */
export function assertAllowedEndpoint(url: string, policy: EndpointPolicy): void {
  const problem = endpointProblem(url, policy);
  if (problem !== undefined) throw new EndpointNotAllowedError(problem);
}
