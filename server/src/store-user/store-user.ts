import type { Db, MongoServerError } from 'mongodb';

/** What ensureStoreUser did, and whether the store limits the user to its database. */
export interface StoreUserOutcome {
  action: 'created' | 'updated';
  /**
   * True: the store accepted `readWrite` on the StarGate database as the user's only role, and
   * enforces it (MongoDB). False: the store has users but no roles (FerretDB 1.x answers
   * NotImplemented to any role); the user then authenticates with its own password but may do
   * whatever the root user may.
   */
  rolesEnforced: boolean;
}

const NOT_IMPLEMENTED = 238;

function rolesNotImplemented(err: unknown): boolean {
  const e = err as Partial<MongoServerError>;
  return e?.code === NOT_IMPLEMENTED && /roles/.test(String(e.message));
}

/**
 * Creates (or brings up to date) the handlers' store user in `db`, authenticated against `db`,
 * with `readWrite` on `db` and nothing else. Idempotent: run on every start, it also applies a
 * changed password. `db` must come from a client connected as a user administrator (root).
 */
export async function ensureStoreUser(db: Db, user: string, password: string): Promise<StoreUserOutcome> {
  const roles = [{ role: 'readWrite', db: db.databaseName }];
  const info = (await db.command({ usersInfo: user })) as { users?: unknown[] };
  const exists = (info.users?.length ?? 0) > 0;
  const action = exists ? 'updated' : 'created';
  const command = (withRoles: boolean) =>
    exists
      ? { updateUser: user, pwd: password, ...(withRoles ? { roles } : {}) }
      : { createUser: user, pwd: password, roles: withRoles ? roles : [] };
  try {
    await db.command(command(true));
    return { action, rolesEnforced: true };
  } catch (err) {
    if (!rolesNotImplemented(err)) throw err;
    await db.command(command(false));
    return { action, rolesEnforced: false };
  }
}
