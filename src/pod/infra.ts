import { access, readFile } from 'node:fs/promises';
import type { Engine } from '../engine/index.js';
import { isNotFound } from '../engine/errors.js';
import { pack } from '../engine/streams/tar.js';

/**
 * The infra ("pause") container's image. It must never need a remote registry, so when it is
 * missing Podling builds it from a static binary on this host, as Podman builds its pause image:
 * catatonit in pause mode (`-P`) exits at once on SIGTERM and reaps zombies, which busybox `sleep`
 * as PID 1 does not (it ignores SIGTERM, so every stop would wait the full grace period).
 */
export const INFRA_IMAGE = 'podling/infra:1';
export const CATATONIT_PATHS = ['/usr/bin/catatonit', '/usr/libexec/podman/catatonit', '/usr/local/bin/catatonit'];

/**
 * The infra image's name once it is on the engine: found, or built from catatonit. Callers cache
 * it (PodRuntime), so pods created together build it once.
 */
export async function findOrBuildInfraImage(engine: Engine, image = INFRA_IMAGE): Promise<string> {
  return image === INFRA_IMAGE ? findOrBuild(engine, image) : pullIfMissing(engine, image);
}

/** A user-named infra image comes from its registry like any other image. */
async function pullIfMissing(engine: Engine, image: string): Promise<string> {
  try {
    await engine.images.inspect(image);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await engine.images.pull(image).done;
  }
  return image;
}

async function findOrBuild(engine: Engine, image: string): Promise<string> {
  try {
    await engine.images.inspect(image);
    return image;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const binary = await findCatatonit();
  const [repo, tag] = image.split(':');
  const build = engine.images.import(pack([{ name: 'catatonit', content: await readFile(binary), mode: 0o755 }]), {
    repo, tag, changes: ['ENTRYPOINT ["/catatonit", "-P"]', 'LABEL podling.io/managed=true'],
    message: `podling infra image from ${binary}`,
  });
  await nameImported(engine, await build.done, image);
  return image;
}

/**
 * Podman 4.3's import ignores the `tag` parameter and stores `repo:latest`, so the image is looked
 * up under the name asked for and tagged with it where the engine did not.
 */
async function nameImported(engine: Engine, id: string, image: string): Promise<void> {
  try {
    await engine.images.inspect(image);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await engine.images.tag(id, image);
  }
}

async function findCatatonit(): Promise<string> {
  for (const path of CATATONIT_PATHS) {
    try {
      await access(path);
      return path;
    } catch {
      // try the next place
    }
  }
  throw new Error(`the infra image ${INFRA_IMAGE} is missing and no catatonit binary was found to build it (looked in ${CATATONIT_PATHS.join(', ')}): install Debian's "catatonit" package, or name another infra image`);
}
