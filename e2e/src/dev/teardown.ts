/**
 * Removes everything one `make dev` run made (STARGATE_DEV_TEARDOWN=1, which the test of this
 * runner sets): its Tenants and ProcessTypes — while the operator still runs, so that their
 * finalizers are honoured — its namespace, vhost, MongoDB database and Redis keys.
 */
import { deleteVhost } from './control-plane.js';
import type { Kubectl } from './kubectl.js';

export interface DevSlice {
  vhost: string;
  mongoUrl: string;
  mongoDb: string;
  redisUrl: string;
  redisPrefix: string;
}

export async function deleteResources(k: Kubectl): Promise<void> {
  await k.run(['delete', 'tenants,processtypes', '--all', '--wait=true', '--timeout=120s']);
}

export async function deleteNamespace(k: Kubectl): Promise<void> {
  // The development API server has no namespace controller: the namespace stays Terminating.
  await k.run(['delete', 'namespace', k.namespace, '--wait=false'], { namespaced: false });
}

export async function deleteStores(slice: DevSlice): Promise<void> {
  await deleteVhost(slice.vhost);
  const { MongoClient } = await import('mongodb');
  const mongo = new MongoClient(slice.mongoUrl, { serverSelectionTimeoutMS: 3000 });
  try {
    await mongo.db(slice.mongoDb).dropDatabase();
  } finally {
    await mongo.close();
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(slice.redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${slice.redisPrefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
