import { isIP } from 'node:net';

/**
 * Where webhooks may go. Events carry a tenant's business facts, and a signed request to a
 * host inside the service's own network is a classic server-side request forgery: so https
 * only, to the allowed hosts when a list is configured, and never to a loopback, private or
 * link-local address — unless the operator names the host in `insecureHosts` (a local receiver
 * in development and tests), which also allows plain http for it.
 *
 * Beside endpoint-policy.ts (where Xledger tokens may go): a webhook goes to SEMINE's own
 * hosts, not a fixed list, so any public https host is allowed unless WEBHOOK_ALLOWED_HOSTS narrows it.
 */
export interface WebhookEndpointPolicy {
  /** Host names or `*.suffix` patterns; null: any host that is not internal. */
  allowedHosts: string[] | null;
  /** Hosts allowed over plain http, and allowed even though internal. */
  insecureHosts: string[];
}

/** Why the URL may not receive webhooks, or null if it may. */
export function webhookEndpointProblem(url: string, policy: WebhookEndpointPolicy): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.username || parsed.password) return 'must not carry credentials (the signature authenticates)';
  const host = parsed.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const insecureAllowed = policy.insecureHosts.includes(host);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && insecureAllowed)) {
    return `must be https (plain http only for the hosts in WEBHOOK_INSECURE_HOSTS)`;
  }
  if (insecureAllowed) return null;
  if (isInternal(host)) {
    return `host ${host} is a loopback, private or link-local address (allow it in WEBHOOK_INSECURE_HOSTS for a local receiver)`;
  }
  if (policy.allowedHosts && !policy.allowedHosts.some((pattern) => hostMatches(host, pattern))) {
    return `host ${host} is not in WEBHOOK_ALLOWED_HOSTS`;
  }
  return null;
}

function hostMatches(host: string, pattern: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : host === pattern;
}

/** Literal addresses and names that point inside the machine or its network. */
function isInternal(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal')) return true;
  const version = isIP(host);
  if (version === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127)
    );
  }
  if (version === 6) {
    const h = host.toLowerCase();
    return (
      h === '::' ||
      h === '::1' ||
      h.startsWith('fc') ||
      h.startsWith('fd') ||
      h.startsWith('fe80') ||
      h.startsWith('::ffff:')
    );
  }
  return false;
}
