import { z } from 'zod';

/**
 * What callers hand to container create, checked strictly: a misspelt field is an error here,
 * not a silently ignored key at the daemon. Field names are the Engine API's own.
 */
const Labels = z.record(z.string(), z.string());
const PortBinding = z.strictObject({ HostIp: z.string().optional(), HostPort: z.string().optional() });
export const Mount = z.strictObject({
  Target: z.string(),
  Source: z.string().optional(),
  Type: z.enum(['bind', 'volume', 'tmpfs', 'npipe']),
  ReadOnly: z.boolean().optional(),
  VolumeOptions: z.strictObject({ NoCopy: z.boolean().optional(), Labels: Labels.optional(), DriverConfig: z.strictObject({ Name: z.string().optional(), Options: Labels.optional() }).optional() }).optional(),
  TmpfsOptions: z.strictObject({ SizeBytes: z.number().int().optional(), Mode: z.number().int().optional() }).optional(),
});

export const HostConfig = z.strictObject({
  NanoCpus: z.number().int().nonnegative().optional(),
  CpuShares: z.number().int().nonnegative().optional(),
  CpuQuota: z.number().int().optional(),
  CpuPeriod: z.number().int().nonnegative().optional(),
  Memory: z.number().int().nonnegative().optional(),
  MemorySwap: z.number().int().optional(),
  MemoryReservation: z.number().int().nonnegative().optional(),
  PidsLimit: z.number().int().optional(),
  PortBindings: z.record(z.string(), z.array(PortBinding)).optional(),
  PublishAllPorts: z.boolean().optional(),
  NetworkMode: z.string().optional(),
  IpcMode: z.string().optional(),
  PidMode: z.string().optional(),
  UTSMode: z.string().optional(),
  RestartPolicy: z.strictObject({ Name: z.enum(['', 'no', 'always', 'unless-stopped', 'on-failure']), MaximumRetryCount: z.number().int().optional() }).optional(),
  AutoRemove: z.boolean().optional(),
  Init: z.boolean().optional(),
  Binds: z.array(z.string()).optional(),
  Mounts: z.array(Mount).optional(),
  Tmpfs: z.record(z.string(), z.string()).optional(),
  ExtraHosts: z.array(z.string()).optional(),
  Dns: z.array(z.string()).optional(),
  DnsOptions: z.array(z.string()).optional(),
  DnsSearch: z.array(z.string()).optional(),
  CapAdd: z.array(z.string()).optional(),
  GroupAdd: z.array(z.string()).optional(),
  CapDrop: z.array(z.string()).optional(),
  ReadonlyRootfs: z.boolean().optional(),
  SecurityOpt: z.array(z.string()).optional(),
  Privileged: z.boolean().optional(),
  ShmSize: z.number().int().nonnegative().optional(),
  OomKillDisable: z.boolean().optional(),
  Sysctls: Labels.optional(),
  LogConfig: z.strictObject({ Type: z.string(), Config: Labels.optional() }).optional(),
});
export type HostConfig = z.infer<typeof HostConfig>;
export type Mount = z.infer<typeof Mount>;

const EndpointSettings = z.strictObject({
  Aliases: z.array(z.string()).optional(),
  IPAMConfig: z.strictObject({ IPv4Address: z.string().optional(), IPv6Address: z.string().optional() }).optional(),
  Links: z.array(z.string()).optional(),
  // Read by Podman at every API version, by dockerd from API 1.44 (ignored before).
  MacAddress: z.string().optional(),
});
export type EndpointSettings = z.infer<typeof EndpointSettings>;

export const ContainerSpec = z.strictObject({
  Image: z.string().min(1),
  Cmd: z.array(z.string()).optional(),
  Entrypoint: z.array(z.string()).optional(),
  Env: z.array(z.string()).optional(),
  WorkingDir: z.string().optional(),
  User: z.string().optional(),
  Hostname: z.string().optional(),
  Domainname: z.string().optional(),
  Labels: Labels.optional(),
  Tty: z.boolean().optional(),
  OpenStdin: z.boolean().optional(),
  StdinOnce: z.boolean().optional(),
  AttachStdin: z.boolean().optional(),
  AttachStdout: z.boolean().optional(),
  AttachStderr: z.boolean().optional(),
  ExposedPorts: z.record(z.string(), z.strictObject({})).optional(),
  StopSignal: z.string().optional(),
  StopTimeout: z.number().int().optional(),
  HostConfig: HostConfig.optional(),
  NetworkingConfig: z.strictObject({ EndpointsConfig: z.record(z.string(), EndpointSettings) }).optional(),
});
export type ContainerSpec = z.input<typeof ContainerSpec>;
