/**
 * Where the process API lives: the base path and every route under it. The gateway mounts its
 * routes from these, the OpenAPI document lists them, and clients build their URLs with them.
 */

/** Every route of the public API sits under this prefix (the OAuth token endpoint also at the root). */
export const API_BASE_PATH = '/api/stargate';

/** The routes under API_BASE_PATH, in fastify's form (`:id` is the process id). */
export const API_ROUTES = {
  processes: '/processes',
  process: '/processes/:id',
  cancel: '/processes/:id/cancel',
  retry: '/processes/:id/retry',
  processTypes: '/process-types',
  token: '/oauth/token',
} as const;

/** The commands a client may send to a process (`POST …/processes/{processId}/<command>`). */
export const PROCESS_COMMANDS = ['cancel', 'retry'] as const;
export type ProcessCommand = (typeof PROCESS_COMMANDS)[number];

/** A route in the OpenAPI document's form: the full path, `{processId}` for `:id`. */
export function openApiPath(route: string): string {
  return `${API_BASE_PATH}${route.replace(':id', '{processId}')}`;
}

/** `/api/stargate/processes` (submit, list). */
export const PROCESSES_PATH = `${API_BASE_PATH}${API_ROUTES.processes}` as const;

/** `/api/stargate/process-types`. */
export const PROCESS_TYPES_PATH = `${API_BASE_PATH}${API_ROUTES.processTypes}` as const;

/** Relative, as specified: `/api/stargate/processes/{processId}`. */
export function statusPath(processId: string): string {
  return `${PROCESSES_PATH}/${encodeURIComponent(processId)}`;
}

/** `/api/stargate/processes/{processId}/{command}`. */
export function commandPath(processId: string, command: ProcessCommand): string {
  return `${statusPath(processId)}/${command}`;
}
