export { Engine, type EngineOptions, type EngineFlavour } from './engine/index.js';
export * from './engine/errors.js';
export type { CallOptions, StreamOptions } from './engine/transport.js';
export { parseEngineAddress, type EngineAddress } from './engine/engine-address.js';
export type { SshTarget, SshOptions } from './engine/ssh-address.js';
export { MIN_API_VERSION, MAX_API_VERSION } from './engine/transport.js';
export type { ContainerSpec, HostConfig, EndpointSettings } from './engine/container-spec.js';
export type { ContainerInspect, ContainerSummary, WaitResult, PathStat, StateChange, LogOptions } from './engine/containers.js';
export type { ImageInspect, ImageSummary, RegistryOptions } from './engine/images.js';
export type { ExecSpec, ExecInspect, ExecStartOptions } from './engine/exec.js';
export type { NetworkSpec, NetworkInspect } from './engine/networks.js';
export type { VolumeSpec, Volume } from './engine/volumes.js';
export type { SwarmInfo, SwarmInitSpec, SwarmJoinSpec, SwarmNode, NodeSpec } from './engine/swarm.js';
export { isNotSwarmManager } from './engine/swarm.js';
export type { VersionInfo, SystemInfo, EngineEvent, Ping } from './engine/system.js';
export type { RegistryAuth } from './engine/auth.js';
export { Progress, type ProgressMessage } from './engine/streams/progress.js';
export { Output } from './engine/streams/output.js';
export { frames, demux, type Frame, type Demuxed } from './engine/streams/demux.js';
export { pack, unpack, type TarEntry, type ExtractedEntry } from './engine/streams/tar.js';
export { PodlingError, isPodlingError } from './errors.js';
export {
  Pods, type PodsOptions, parsePod, loadPodFile, PodSpecError, PodError, PodFailedError, PodNotFoundError,
  SelectorError, parseSelector, ServiceError, ServiceSpecError, ANNOTATION_ISOLATED, ANNOTATION_NETWORK, DEFAULT_POD_NETWORK, POD_NETWORK_MODES, type PodNetworkMode,
  type Pod, type PodInput, type PodObject, type LogLine, type PruneReport, type ServiceObject, type PodErrorKind,
  ConfigSpecError, parseConfigMap, parseSecret, type ConfigMapInput, type SecretInput, type ConfigMapObject, type SecretObject, type SecretSummary,
} from './pod/index.js';
export type { EventStream, EventsOptions } from './engine/system.js';
export type { UpdateSpec } from './engine/containers.js';
export { Agent, type AgentOptions } from './agent/agent.js';
export { logTo, type Decision, type Log, type LogFormat } from './agent/decisions.js';
export * from './kube/index.js';
