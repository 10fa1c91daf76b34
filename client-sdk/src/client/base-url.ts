import { isIPv4, isIPv6 } from 'node:net';

/** True for hosts that never leave the machine: 127.0.0.0/8, ::1 and `localhost` (with subdomains). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIPv4(host)) return host.startsWith('127.');
  if (isIPv6(host)) {
    if (host === '::1') return true;
    // IPv4-mapped loopback (::ffff:127.x.y.z); the URL parser writes it in hex (::ffff:7f00:1).
    const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(host);
    return mapped !== null && Number.parseInt(mapped[1]!, 16) >> 8 === 127;
  }
  return false;
}

/**
 * Why a gateway base URL is refused, or undefined when it is fine: it must be an http(s) URL,
 * and plain http only to a loopback host unless `allowInsecureHttp` (tokens, client secrets and
 * payloads would cross the network in clear text).
 */
export function baseUrlProblem(raw: string, allowInsecureHttp = false): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `is not a URL: ${raw}`;
  }
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return `must be an https:// URL (got ${url.protocol}//): ${raw}`;
  if (allowInsecureHttp || isLoopbackHost(url.hostname)) return undefined;
  return `uses plain http:// to a host that is not loopback (${url.hostname}): the client secret, tokens and payloads would travel unencrypted; use https://, or allow it explicitly for a trusted network`;
}
