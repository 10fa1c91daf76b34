import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Virtual time (from the injected `now`) at which the request arrived. */
  at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** `'drop'` destroys the connection without an answer (a lost response). */
export type Responder = (req: RecordedRequest) => Reply | 'drop' | Promise<Reply | 'drop'>;

/**
 * A tiny HTTP server the SDK's unit tests script: it stands in for the gateway's wire contract
 * only (the infrastructure behind the gateway is never faked; integration tests use the real one).
 */
export async function startTestGateway(respond: Responder, now: () => number = Date.now) {
  const requests: RecordedRequest[] = [];
  let handler = respond;
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = text;
    if ((req.headers['content-type'] ?? '').includes('json') && text) body = JSON.parse(text);
    else if ((req.headers['content-type'] ?? '').includes('x-www-form-urlencoded'))
      body = Object.fromEntries(new URLSearchParams(text));
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      at: now(),
    };
    requests.push(rec);
    const reply = await handler(rec);
    if (reply === 'drop') {
      req.socket.destroy();
      return;
    }
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      ...(payload ? { 'content-type': 'application/json' } : {}),
      ...reply.headers,
    });
    res.end(payload);
  });
  server.keepAliveTimeout = 1;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    /** Requests other than token requests, by method and path prefix. */
    calls(method: string, pathPrefix: string): RecordedRequest[] {
      return requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix));
    },
    setResponder(next: Responder) {
      handler = next;
    },
    /** Stops accepting connections (connection refused); `restart` brings it back on the same port. */
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
    async restart() {
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
    },
  };
}

export type TestGateway = Awaited<ReturnType<typeof startTestGateway>>;

/** A token endpoint reply: `access_token` numbered so tests can tell fresh tokens apart. */
export function tokenReply(n: number, expiresIn = 3600, refreshToken?: string): Reply {
  return {
    status: 200,
    body: {
      access_token: `token-${n}`,
      token_type: 'Bearer',
      expires_in: expiresIn,
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    },
  };
}
