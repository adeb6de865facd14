import { parseScoreFile, resolvePlaceholders, resolveResourceParams, scoreResourceRequests } from './score/index.js';
import type { ScoreSupport } from './workload.js';

/** Score parsing and placeholder resolution (src/environments/score) in the shape deployments use. */
export const scoreSupport: ScoreSupport = {
  parse(text, file) {
    const workload = parseScoreFile(text, file);
    return {
      name: workload.name,
      resources: scoreResourceRequests(workload).map((request) => ({
        name: request.name,
        uid: request.uid,
        type: request.type,
        class: request.class,
        id: request.id,
        params: request.params,
        resolveParams: (provisioned) => resolveResourceParams(workload, request.name, Object.fromEntries(provisioned)),
      })),
      resolve: (outputs) => resolvePlaceholders(workload, { resources: Object.fromEntries(outputs) }),
    };
  },
};
