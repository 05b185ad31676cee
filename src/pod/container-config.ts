import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Engine } from '../engine/index.js';
import { PodFailedError } from './errors.js';
import { effectiveSecurity, needsImageUser, nonRootProblem, type ContainerConfig } from './security.js';
import type { Pod } from './spec.js';

/**
 * What the containers about to be made need from outside their spec, looked up once their images
 * are there and before any container is made (the kubelet's "container config" step, whose
 * failure it reports as CreateContainerConfigError): the image's user, for runAsNonRoot and for a
 * runAsGroup without runAsUser, the JSON of Localhost seccomp profiles, and whether the engine's
 * host runs AppArmor, for a Localhost AppArmor profile.
 */

/**
 * Where Localhost seccomp profiles are read, on the host Podling runs on: the kubelet's own root,
 * so a host prepared for a kubelet works unchanged; PODLING_SECCOMP_ROOT names another.
 */
export const seccompRoot = () => process.env.PODLING_SECCOMP_ROOT ?? '/var/lib/kubelet/seccomp';

export async function containerConfigs(engine: Engine, pod: Pod, names: Set<string>, signal?: AbortSignal): Promise<Map<string, ContainerConfig>> {
  const containers = [...(pod.spec.initContainers ?? []), ...pod.spec.containers].filter((c) => names.has(c.name));
  const users = new Map<string, Promise<string>>();
  const imageUser = (image: string) => {
    if (!users.has(image)) users.set(image, engine.images.inspect(image, { signal }).then((i) => i.Config?.User ?? ''));
    return users.get(image)!;
  };
  let appArmor: Promise<boolean> | undefined;
  const hasAppArmor = () => (appArmor ??= engine.system.info({ signal }).then((info) => (info.SecurityOptions ?? []).some((o) => o.startsWith('name=apparmor'))));
  const configs = await Promise.all(containers.map(async (c): Promise<[string, ContainerConfig]> => {
    const sc = effectiveSecurity(pod, c);
    // Docker drops AppArmor options where its host has no AppArmor; a profile asked for by name must not vanish unseen.
    if (sc.appArmorProfile?.type === 'Localhost' && !await hasAppArmor()) {
      throw new PodFailedError(pod.metadata.name, 'CreateContainerConfigError', `container ${c.name}: AppArmor profile ${sc.appArmorProfile.localhostProfile} cannot be enforced: the engine's host does not run AppArmor`);
    }
    const config: ContainerConfig = {};
    if (needsImageUser(sc)) {
      config.imageUser = await imageUser(c.image);
      const problem = nonRootProblem(sc, config.imageUser);
      if (problem) throw new PodFailedError(pod.metadata.name, 'CreateContainerConfigError', `container ${c.name}: ${problem}`);
    }
    if (sc.seccompProfile?.type === 'Localhost') config.seccompProfile = await readProfile(pod, c.name, sc.seccompProfile.localhostProfile!);
    return [c.name, config];
  }));
  return new Map(configs);
}

/** The profile, compacted: it travels inside a JSON string in the create body. */
async function readProfile(pod: Pod, container: string, profile: string): Promise<string> {
  const path = join(seccompRoot(), profile);
  try {
    return JSON.stringify(JSON.parse(await readFile(path, 'utf8')));
  } catch (err) {
    const why = err instanceof SyntaxError ? `not JSON: ${err.message}` : (err as Error).message;
    throw new PodFailedError(pod.metadata.name, 'CreateContainerConfigError', `container ${container}: seccomp profile ${path}: ${why}`);
  }
}
