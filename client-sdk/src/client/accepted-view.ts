import type { ProcessStatusBody, SubmitAccepted } from '@stargate/contracts';

/** The status a process has when the gateway has just accepted it (version 0, nothing done yet). */
export function acceptedView(accepted: SubmitAccepted): ProcessStatusBody {
  return {
    processId: accepted.processId,
    clientProcessId: accepted.clientProcessId,
    processType: accepted.processType,
    status: 'accepted',
    progress: 0,
    result: null,
    version: 0,
    createdAt: accepted.createdAt,
    updatedAt: accepted.createdAt,
    estimatedCompletionTime: accepted.estimatedCompletionTime,
    statusUrl: accepted.statusUrl,
  };
}
