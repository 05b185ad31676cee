import type { z } from 'zod';
import { parseCpu, parseMemory } from './quantity.js';

/**
 * Pod-level `spec.resources`: a budget for the whole pod. A kubelet gives the pod a cgroup of its
 * own with these limits and puts every container under it. The Engine API cannot make such a
 * cgroup (CgroupParent only names one, which something else must have made and limited, on the
 * engine's host), so the budget is carried by each container instead:
 * - a container's own limit must fit in the pod's (Kubernetes' validation too), and a container
 *   without one gets the pod's: no single container can outgrow the pod, though together they can
 *   use up to the pod's limit each;
 * - the pod's request must cover its containers' requests; what remains is shared evenly by the
 *   containers that request nothing (CPU shares and a memory reservation), so the pod as a whole
 *   asks for what its spec says.
 * As the API server does, a pod with limits and no requests requests its limits.
 */

type Quantity = string | number;
interface ResourceList { cpu?: Quantity | undefined; memory?: Quantity | undefined }
interface Requirements { limits?: ResourceList | undefined; requests?: ResourceList | undefined }
interface BudgetFields { resources?: Requirements | undefined; containers: { resources?: Requirements | undefined }[] }

/** A container's cgroup figures: nano-cores and bytes. */
export interface ContainerBudget { cpuLimit?: number; memoryLimit?: number; cpuRequest?: number; memoryRequest?: number }

const KEYS = [['cpu', parseCpu], ['memory', parseMemory]] as const;
// Only called on specs the schema has checked, so every quantity parses.
const amount = (parse: (q: Quantity) => number | string, q: Quantity | undefined) => (q === undefined ? undefined : (parse(q) as number));

/** The pod's requests, defaulted from its limits as the API server defaults them. */
const podRequests = (pod: Requirements): ResourceList => ({ cpu: pod.requests?.cpu ?? pod.limits?.cpu, memory: pod.requests?.memory ?? pod.limits?.memory });

/** In the pod spec's refinement: every container fits in the pod's budget. */
export function checkPodResources(spec: BudgetFields, ctx: z.RefinementCtx) {
  const pod = spec.resources;
  if (!pod) return;
  for (const [key, parse] of KEYS) {
    // A request above the limit is the schema's own check, as for a container's.
    const limit = amount(parse, pod.limits?.[key]);
    const request = amount(parse, podRequests(pod)[key]);
    spec.containers.forEach((c, i) => {
      const own = amount(parse, c.resources?.limits?.[key]);
      if (limit !== undefined && own !== undefined && own > limit) {
        ctx.addIssue({ code: 'custom', path: ['containers', i, 'resources', 'limits', key], message: `${c.resources?.limits?.[key]} is above the pod's limit ${pod.limits?.[key]}` });
      }
    });
    const requested = spec.containers.reduce((sum, c) => sum + (amount(parse, c.resources?.requests?.[key]) ?? 0), 0);
    if (request !== undefined && requested > request) {
      ctx.addIssue({ code: 'custom', path: ['resources', 'requests', key], message: `the containers request more ${key} together than the pod's ${podRequests(pod)[key]}` });
    }
  }
}

/** A container's limits and requests with the pod's budget applied (see above). */
export function containerBudget(spec: BudgetFields, container: { resources?: Requirements | undefined }): ContainerBudget {
  const own = container.resources;
  const pod = spec.resources;
  const budget: ContainerBudget = {};
  const set = (field: keyof ContainerBudget, value: number | undefined) => { if (value !== undefined) budget[field] = value; };
  set('cpuLimit', amount(parseCpu, own?.limits?.cpu ?? pod?.limits?.cpu));
  set('memoryLimit', amount(parseMemory, own?.limits?.memory ?? pod?.limits?.memory));
  set('cpuRequest', amount(parseCpu, own?.requests?.cpu) ?? (pod && share(spec, 'cpu', parseCpu)));
  set('memoryRequest', amount(parseMemory, own?.requests?.memory) ?? (pod && share(spec, 'memory', parseMemory)));
  return budget;
}

/** An even share of what the pod requests beyond its containers' own requests, for one that requests none. */
function share(spec: BudgetFields, key: 'cpu' | 'memory', parse: (q: Quantity) => number | string): number | undefined {
  const total = amount(parse, podRequests(spec.resources!)[key]);
  if (total === undefined) return undefined;
  const given = spec.containers.map((c) => amount(parse, c.resources?.requests?.[key]));
  const left = total - given.reduce<number>((sum, q) => sum + (q ?? 0), 0);
  const takers = given.filter((q) => q === undefined).length;
  const each = Math.floor(left / takers);
  return each > 0 ? each : undefined;
}
