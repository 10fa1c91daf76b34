/**
 * The RabbitMQ management HTTP API (credentials in its URL): the one client of the test
 * helpers (createVhost) and of `make dev` (e2e/src/dev: the run's vhost).
 */

export interface RabbitManagement {
  /** One call; a 404 is returned (the caller decides what it means), any other failure throws. */
  call(method: string, path: string, body?: unknown): Promise<Response>;
  /** Creates vhost `name` if missing, with full permissions for the user of `amqpUrl`; returns the vhost's amqp URL. */
  ensureVhost(amqpUrl: string, name: string): Promise<string>;
  /** Deletes vhost `name` (nothing to do when it does not exist). */
  deleteVhost(name: string): Promise<void>;
}

export function rabbitManagement(mgmtUrl: string): RabbitManagement {
  const base = new URL(mgmtUrl);
  const auth = Buffer.from(
    `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`,
  ).toString('base64');
  const headers = { authorization: `Basic ${auth}`, 'content-type': 'application/json' };

  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const res = await fetch(`${base.protocol}//${base.host}/api/${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!res.ok && res.status !== 404)
      throw new Error(`RabbitMQ management ${method} ${path}: ${res.status} ${await res.text()}`);
    return res;
  }

  async function put(path: string, body: unknown): Promise<void> {
    const res = await call('PUT', path, body);
    if (res.status === 404) throw new Error(`RabbitMQ management PUT ${path}: 404 ${await res.text()}`);
  }

  return {
    call,
    async ensureVhost(amqpUrl, name) {
      const url = new URL(amqpUrl);
      const user = decodeURIComponent(url.username || 'guest');
      await put(`vhosts/${encodeURIComponent(name)}`, { default_queue_type: 'classic' });
      await put(`permissions/${encodeURIComponent(name)}/${encodeURIComponent(user)}`, {
        configure: '.*',
        write: '.*',
        read: '.*',
      });
      url.pathname = `/${encodeURIComponent(name)}`;
      return url.toString();
    },
    async deleteVhost(name) {
      await call('DELETE', `vhosts/${encodeURIComponent(name)}`);
    },
  };
}
