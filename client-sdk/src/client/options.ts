import { StarGateError } from '../errors.js';
import { baseUrlProblem } from './base-url.js';
import type { ClientOptions } from './types.js';

/** Throws a StarGateError naming the first missing or invalid option. */
export function validateOptions(options: ClientOptions): void {
  const need = (name: keyof ClientOptions) => {
    const v = options[name];
    if (typeof v !== 'string' || v.length === 0)
      throw new StarGateError(`createClient: option "${name}" is required`);
  };
  need('baseUrl');
  need('clientId');
  need('clientSecret');
  need('databasePath');
  const problem = baseUrlProblem(options.baseUrl, options.allowInsecureHttp === true);
  if (problem) {
    const hint = problem.startsWith('uses plain') ? ' (option allowInsecureHttp: true)' : '';
    throw new StarGateError(`createClient: option "baseUrl" ${problem}${hint}`);
  }
  if (
    options.longPollSeconds !== undefined &&
    !(options.longPollSeconds >= 0 && options.longPollSeconds <= 60)
  )
    throw new StarGateError('createClient: option "longPollSeconds" must be between 0 and 60');
  if (options.retentionDays !== undefined && !(options.retentionDays > 0))
    throw new StarGateError('createClient: option "retentionDays" must be positive');
}
