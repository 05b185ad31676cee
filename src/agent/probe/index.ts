/**
 * The prober's pieces, for the agent: the per-container probe state (pure) and the carrying out of
 * one probe. The agent keeps a ContainerProbes per running container, runs what `due(now)` names
 * with `runProbe`, and `record`s each outcome; a verdict with `kill` stops the container.
 */
export { ContainerProbes, ProbeWorker, type ProbedContainer, type ProbedSpec, type ProbeResult, type ProbeVerdict } from './worker-state.js';
export { runProbe, type ProbeTarget, type RunProbeOptions } from './run.js';
export type { ProbeOutcome } from './outcome.js';
export type { ExecProbeEngine } from './exec-probe.js';
export { PROBE_USER_AGENT } from './http-probe.js';
