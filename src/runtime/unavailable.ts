// The runtime for images knit cannot run in this build: every such revision fails at once with
// Knative's ContainerMissing reason and a message that says what would make it work.

import { RuntimeError, type Instance, type InstanceSpec, type Runtime } from './runtime.ts';

/** Claims every image that is not `file://`, and refuses it clearly. */
export class UnavailableRuntime implements Runtime {
  readonly name = 'unavailable';

  handles(image: string): boolean {
    return !image.startsWith('file://');
  }

  resolveDigest(image: string): Promise<string | undefined> {
    return Promise.reject(
      new RuntimeError(
        'ContainerMissing',
        `Unable to fetch image "${image}": this knit runs local directories only (an image such as file:///abs/dir, or --image ./dir with the CLI); container images need the podman runtime`,
      ),
    );
  }

  start(spec: InstanceSpec): Instance {
    throw new RuntimeError('ContainerMissing', `Unable to run image "${spec.image}": no container runtime`);
  }
}
