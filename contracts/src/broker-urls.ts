/**
 * The broker's addresses as StarGate's processes take them: `STARGATE_AMQP_URL` holds one AMQP
 * URL or several separated by commas (the nodes of one RabbitMQ cluster, tried in turn).
 */
export function brokerUrls(value: string, name = 'STARGATE_AMQP_URL'): string[] {
  const urls = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new Error(`${name} is required`);
  for (const [i, raw] of urls.entries()) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      // The value is not repeated: it may hold a password.
      const which = urls.length === 1 ? name : `${name}: entry ${i + 1} of ${urls.length}`;
      throw new Error(`${which} is not a URL (one AMQP URL, or several separated by commas)`);
    }
    if (url.protocol !== 'amqp:' && url.protocol !== 'amqps:')
      throw new Error(`${name}: "${url.protocol}//${url.host}" is not an amqp:// or amqps:// URL`);
  }
  return urls;
}
