// The runtime for container images when podman is missing: every such revision fails at once with
// Knative's ContainerMissing reason and a message that says what to install.

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
        `Unable to fetch image "${image}": container images run through podman, which is not installed here. ` +
          'Install it (apt-get install podman runc) and write /etc/containers/containers.conf with ' +
          '`[containers] default_ulimits = []` and `[engine] runtime = "runc"`, then restart knit serve; ' +
          'or run a local directory instead (an image such as file:///abs/dir, or --image ./dir with the CLI)',
      ),
    );
  }

  start(spec: InstanceSpec): Instance {
    throw new RuntimeError('ContainerMissing', `Unable to run image "${spec.image}": podman is not installed (apt-get install podman runc)`);
  }
}
